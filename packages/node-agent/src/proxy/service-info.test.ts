import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endpointsFor, servicePorts } from './service-info.js';
import { ep, slice, svc } from './test-fixtures.js';

describe('servicePorts', () => {
  test('ClusterIP service: one entry per port, protocol defaults to TCP, SCTP skipped', () => {
    const ports = servicePorts(
      svc('default', 'web', {
        ports: [
          { name: 'http', port: 80 },
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'sctp', port: 99, protocol: 'SCTP' },
        ],
      }),
    );
    assert.deepEqual(
      ports.map((p) => [p.key, p.protocol, p.port, p.type, p.clusterIPs]),
      [
        ['default/web:http/TCP', 'TCP', 80, 'ClusterIP', ['127.96.0.10']],
        ['default/web:dns/UDP', 'UDP', 53, 'ClusterIP', ['127.96.0.10']],
      ],
    );
    const [http] = ports;
    assert.equal(http?.nodePort, undefined);
    assert.equal(http?.affinityTimeoutSeconds, undefined);
    assert.equal(http?.externalPolicyLocal, false);
    assert.equal(http?.internalPolicyLocal, false);
  });

  test('unnamed port has an empty port name in its key', () => {
    const [p] = servicePorts(svc('ns', 'a', { ports: [{ port: 443 }] }));
    assert.equal(p?.key, 'ns/a:/TCP');
    assert.equal(p?.portName, '');
  });

  test('headless and ExternalName services are not proxied', () => {
    assert.deepEqual(servicePorts(svc('ns', 'h', { clusterIP: 'None' })), []);
    assert.deepEqual(servicePorts(svc('ns', 'e', { type: 'ExternalName', clusterIP: '' })), []);
    assert.deepEqual(servicePorts({ metadata: { namespace: 'ns', name: 'x' }, spec: { ports: [{ port: 80 }] } }), []);
  });

  test('IPv6 cluster IPs of dual-stack services are dropped', () => {
    const s = svc('ns', 'd');
    if (s.spec) s.spec.clusterIPs = ['fd00::10', '127.96.0.10'];
    assert.deepEqual(servicePorts(s)[0]?.clusterIPs, ['127.96.0.10']);
  });

  test('LoadBalancer: node port, ingress IPs except ipMode Proxy, Local policy with health check', () => {
    const s = svc('ns', 'lb', {
      type: 'LoadBalancer',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      lbIPs: ['127.77.2.100'],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
    });
    s.status?.loadBalancer?.ingress?.push({ ip: '127.77.2.101', ipMode: 'Proxy' }, { hostname: 'lb.example' });
    const [p] = servicePorts(s);
    assert.equal(p?.nodePort, 30080);
    assert.deepEqual(p?.loadBalancerIPs, ['127.77.2.100']);
    assert.equal(p?.externalPolicyLocal, true);
    assert.equal(p?.healthCheckNodePort, 32000);
  });

  test('externalTrafficPolicy Local only counts for externally reachable services; health check only for LoadBalancer', () => {
    assert.equal(servicePorts(svc('ns', 'c', { externalTrafficPolicy: 'Local' }))[0]?.externalPolicyLocal, false);
    const withExternalIP = servicePorts(svc('ns', 'x', { externalTrafficPolicy: 'Local', externalIPs: ['127.77.2.50'] }))[0];
    assert.equal(withExternalIP?.externalPolicyLocal, true);
    const np = servicePorts(
      svc('ns', 'np', { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 32001, ports: [{ port: 80, nodePort: 30001 }] }),
    )[0];
    assert.equal(np?.externalPolicyLocal, true);
    assert.equal(np?.healthCheckNodePort, undefined);
  });

  test('ClientIP affinity: timeout defaults to 10800 seconds', () => {
    assert.equal(servicePorts(svc('ns', 'a', { affinity: true }))[0]?.affinityTimeoutSeconds, 10800);
    assert.equal(servicePorts(svc('ns', 'a', { affinitySeconds: 60 }))[0]?.affinityTimeoutSeconds, 60);
  });

  test('internalTrafficPolicy Local', () => {
    assert.equal(servicePorts(svc('ns', 'a', { internalTrafficPolicy: 'Local' }))[0]?.internalPolicyLocal, true);
  });
});

describe('endpointsFor', () => {
  const [http] = servicePorts(
    svc('ns', 'web', {
      ports: [
        { name: 'http', port: 80 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    }),
  );
  const [, dns] = servicePorts(
    svc('ns', 'web', {
      ports: [
        { name: 'http', port: 80 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    }),
  );
  if (http === undefined || dns === undefined) throw new Error('fixture');

  test('slice ports matched by name and protocol; conditions defaulted like Kubernetes', () => {
    const s = slice(
      'ns',
      'web',
      'web-1',
      [
        ep('127.244.1.2', { node: 'n1', pod: 'web-a' }),
        ep('127.244.1.3', { ready: false }),
        ep('127.244.1.4', { ready: false, serving: true, terminating: true }),
      ],
      [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'dns', port: 5353, protocol: 'UDP' },
        { name: 'http', port: 9999, protocol: 'UDP' },
      ],
    );
    assert.deepEqual(endpointsFor(http, [s]), [
      { key: '127.244.1.2:8080', ip: '127.244.1.2', port: 8080, ready: true, serving: true, terminating: false, nodeName: 'n1', pod: 'ns/web-a' },
      { key: '127.244.1.3:8080', ip: '127.244.1.3', port: 8080, ready: false, serving: false, terminating: false },
      { key: '127.244.1.4:8080', ip: '127.244.1.4', port: 8080, ready: false, serving: true, terminating: true },
    ]);
    assert.deepEqual(
      endpointsFor(dns, [s]).map((e) => e.key),
      ['127.244.1.2:5353', '127.244.1.3:5353', '127.244.1.4:5353'],
    );
  });

  test('an endpoint in two slices appears once; the ready copy wins; sorted by address numerically', () => {
    const a = slice('ns', 'web', 'web-a', [ep('127.244.1.9', { ready: false }), ep('127.244.1.10')]);
    const b = slice('ns', 'web', 'web-b', [ep('127.244.1.9', { ready: true })]);
    const got = endpointsFor(http, [b, a]);
    assert.deepEqual(
      got.map((e) => [e.key, e.ready]),
      [
        ['127.244.1.9:8080', true],
        ['127.244.1.10:8080', true],
      ],
    );
  });

  test('only IPv4 slices; slices without the port contribute nothing', () => {
    const v6 = slice('ns', 'web', 'web-v6', [ep('fd00::1')], undefined, { addressType: 'IPv6' });
    const other = slice('ns', 'web', 'web-o', [ep('127.244.1.5')], [{ name: 'metrics', port: 9090 }]);
    assert.deepEqual(endpointsFor(http, [v6, other]), []);
  });
});
