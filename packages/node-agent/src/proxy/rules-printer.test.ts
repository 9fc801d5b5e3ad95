import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ForwardingTable } from './forwarding-table.js';
import { iptablesProbability, printRules } from './rules-printer.js';
import { seededRandom } from '@kemu/common';
import { servicePorts } from './service-info.js';
import { ep, slice, svc } from './test-fixtures.js';
import type { Algorithm } from './types.js';

/**
 * A node-1 table with: default/web (NodePort, ClientIP affinity 600s, two endpoints on
 * node-1, one on node-2, one not ready), default/lb (LoadBalancer, externalTrafficPolicy
 * Local, only a terminating endpoint on this node) and kube-system/kube-dns (no endpoints);
 * three clients connected to web's cluster IP and one NodePort connection attempt on lb.
 */
function scenario(algorithm: Algorithm): ForwardingTable {
  const t = new ForwardingTable({ nodeName: 'node-1', nodeIPs: ['127.77.2.1'], algorithm, random: seededRandom(1) });
  const web = svc('default', 'web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }], affinitySeconds: 600 });
  t.setService(
        'default/web',
    servicePorts(web),
    [
      slice('default', 'web', 'web-1', [
        ep('127.244.1.2', { node: 'node-1' }),
        ep('127.244.2.3', { node: 'node-2' }),
        ep('127.244.1.10', { node: 'node-1' }),
        ep('127.244.2.5', { ready: false, node: 'node-2' }),
      ]),
    ],
    0,
  );
  const lb = svc('default', 'lb', {
    type: 'LoadBalancer',
    clusterIP: '127.96.0.11',
    ports: [{ port: 443, nodePort: 30443 }],
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32000,
    lbIPs: ['127.77.2.100'],
  });
  t.setService(
        'default/lb',
    servicePorts(lb),
    [
      slice(
        'default',
        'lb',
        'lb-1',
        [ep('127.244.2.2', { node: 'node-2' }), ep('127.244.1.7', { node: 'node-1', ready: false, serving: true, terminating: true })],
        [{ port: 8443 }],
      ),
    ],
    0,
  );
  const dns = svc('kube-system', 'kube-dns', { clusterIP: '127.96.0.12', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
  t.setService('kube-system/kube-dns', servicePorts(dns), [], 0);
  for (const client of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
    const p = t.pick('TCP/127.96.0.10:80', { clientIP: client, now: 0 });
    if (p.kind !== 'endpoint') throw new Error(`unexpected ${p.kind}`);
    t.connectionOpened(p.servicePort.key, p.endpoint.key, client, 0);
    t.bytes(p.servicePort.key, 100, 2000, p.endpoint.key);
  }
  t.pick('TCP/127.77.2.1:30443', { clientIP: '127.0.0.1', now: 0 });
  return t;
}

describe('printRules', () => {
  test('transcript: random mode', () => {
    assert.equal(
      printRules(scenario('random')),
      [
        '# kemu userspace proxy rules for node node-1 (algorithm random); counters are [connections:bytes]',
        '*kemu',
        ':KEMU-SERVICES - [0:0]',
        ':KEMU-NODEPORTS - [0:0]',
        ':KEMU-SEP-3KXRJZCIDWVVTF42 - [0:0]',
        ':KEMU-SEP-HLDTY3DFPZX6XJFQ - [0:0]',
        ':KEMU-SEP-NVUDCXPXMS4TSHVJ - [0:0]',
        ':KEMU-SEP-QYWP3B525O362RDL - [0:0]',
        ':KEMU-SEP-Z3OIOCGDMIKJQ6HF - [0:0]',
        ':KEMU-SVC-67KUIANSXARINDSM - [0:0]',
        ':KEMU-SVC-PK5WNJDG7QFFBAYH - [0:0]',
        ':KEMU-SVC-WCH7PXWOE4XNMTCY - [0:0]',
        ':KEMU-SVL-67KUIANSXARINDSM - [0:0]',
        '[0:0] -A KEMU-SERVICES -d 127.77.2.100/32 -p tcp --dport 443 -j KEMU-SVL-67KUIANSXARINDSM',
        '[3:0] -A KEMU-SERVICES -d 127.96.0.10/32 -p tcp --dport 80 -j KEMU-SVC-PK5WNJDG7QFFBAYH',
        '[0:0] -A KEMU-SERVICES -d 127.96.0.11/32 -p tcp --dport 443 -j KEMU-SVC-67KUIANSXARINDSM',
        '[0:0] -A KEMU-SERVICES -d 127.96.0.12/32 -p udp --dport 53 -m comment --comment "kube-system/kube-dns:dns has no endpoints" -j REJECT',
        '[0:0] -A KEMU-SERVICES -m addrtype --dst-type LOCAL -j KEMU-NODEPORTS',
        '[0:0] -A KEMU-NODEPORTS -d 127.77.2.1/32 -p tcp --dport 30080 -j KEMU-SVC-PK5WNJDG7QFFBAYH',
        '[1:0] -A KEMU-NODEPORTS -d 127.77.2.1/32 -p tcp --dport 30443 -j KEMU-SVL-67KUIANSXARINDSM',
        '[0:0] -A KEMU-NODEPORTS -d 127.77.2.1/32 -p tcp --dport 32000 -m comment --comment "default/lb health check node port" -j ACCEPT',
        '# KEMU-SVC-67KUIANSXARINDSM default/lb (TCP): 2 endpoints (1 usable, 1 local); affinity none; connections 0 active, 0 total, 0 failed; bytes 0 in, 0 out',
        '[0:0] -A KEMU-SVC-67KUIANSXARINDSM -m comment --comment "default/lb -> 127.244.2.2:8443" -j KEMU-SEP-QYWP3B525O362RDL',
        '[0:0] -A KEMU-SVL-67KUIANSXARINDSM -m comment --comment "default/lb -> 127.244.1.7:8443" -j KEMU-SEP-NVUDCXPXMS4TSHVJ',
        '[0:0] -A KEMU-SEP-NVUDCXPXMS4TSHVJ -p tcp -m comment --comment default/lb -j DNAT --to-destination 127.244.1.7:8443',
        '[0:0] -A KEMU-SEP-QYWP3B525O362RDL -p tcp -m comment --comment default/lb -j DNAT --to-destination 127.244.2.2:8443',
        '# KEMU-SVC-PK5WNJDG7QFFBAYH default/web:http (TCP): 4 endpoints (3 usable); affinity ClientIP 600s (3 clients); connections 3 active, 3 total, 0 failed; bytes 300 in, 6000 out',
        '#   unused 127.244.2.5:8080 (not ready, node node-2)',
        '[0:0] -A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default/web:http -> 127.244.1.2:8080" -m recent --name KEMU-SEP-HLDTY3DFPZX6XJFQ --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j KEMU-SEP-HLDTY3DFPZX6XJFQ',
        '[0:0] -A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default/web:http -> 127.244.1.10:8080" -m recent --name KEMU-SEP-Z3OIOCGDMIKJQ6HF --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j KEMU-SEP-Z3OIOCGDMIKJQ6HF',
        '[0:0] -A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default/web:http -> 127.244.2.3:8080" -m recent --name KEMU-SEP-3KXRJZCIDWVVTF42 --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j KEMU-SEP-3KXRJZCIDWVVTF42',
        '[0:0] -A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default/web:http -> 127.244.1.2:8080" -m statistic --mode random --probability 0.33333333349 -j KEMU-SEP-HLDTY3DFPZX6XJFQ',
        '[0:0] -A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default/web:http -> 127.244.1.10:8080" -m statistic --mode random --probability 0.50000000000 -j KEMU-SEP-Z3OIOCGDMIKJQ6HF',
        '[0:0] -A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default/web:http -> 127.244.2.3:8080" -j KEMU-SEP-3KXRJZCIDWVVTF42',
        '[1:2100] -A KEMU-SEP-HLDTY3DFPZX6XJFQ -p tcp -m comment --comment default/web:http -m recent --set --name KEMU-SEP-HLDTY3DFPZX6XJFQ --mask 255.255.255.255 --rsource -j DNAT --to-destination 127.244.1.2:8080',
        '[1:2100] -A KEMU-SEP-Z3OIOCGDMIKJQ6HF -p tcp -m comment --comment default/web:http -m recent --set --name KEMU-SEP-Z3OIOCGDMIKJQ6HF --mask 255.255.255.255 --rsource -j DNAT --to-destination 127.244.1.10:8080',
        '[1:2100] -A KEMU-SEP-3KXRJZCIDWVVTF42 -p tcp -m comment --comment default/web:http -m recent --set --name KEMU-SEP-3KXRJZCIDWVVTF42 --mask 255.255.255.255 --rsource -j DNAT --to-destination 127.244.2.3:8080',
        '# KEMU-SVC-WCH7PXWOE4XNMTCY kube-system/kube-dns:dns (UDP): 0 endpoints (0 usable); affinity none; connections 0 active, 0 total, 0 failed; bytes 0 in, 0 out',
        'COMMIT',
      ].join('\n') + '\n',
    );
  });

  test('round-robin and least-connections label the balancing rules', () => {
    const rr = printRules(scenario('round-robin'), { servicePort: 'default/web:http/TCP' });
    assert.match(rr, /-A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default\/web:http -> 127.244.1.10:8080" -m balance --mode rr --slot 2\/3 -j KEMU-SEP-/);
    assert.doesNotMatch(rr, /statistic/);
    const lc = printRules(scenario('least-connections'), { servicePort: 'default/web:http/TCP' });
    assert.match(lc, /-A KEMU-SVC-PK5WNJDG7QFFBAYH -m comment --comment "default\/web:http -> 127.244.1.2:8080" -m balance --mode lc --active 1 -j KEMU-SEP-/);
  });

  test('an endpoint held off after a connect timeout is named with the time left', () => {
    const t = scenario('random');
    t.connectFailed('default/web:http/TCP', '127.244.2.3:8080', 10_000);
    const out = printRules(t, { servicePort: 'default/web', now: 11_500 });
    assert.match(out, /^# {3}held off 127\.244\.2\.3:8080 for 1\.5 s more: its last connect timed out; new connections go to the others$/m);
    assert.match(out, /1 failed/);
    assert.doesNotMatch(printRules(t, { servicePort: 'default/web', now: 13_000 }), /held off/);
  });

  test('filtered to one service port: only its frontends and chains', () => {
    const out = printRules(scenario('random'), { servicePort: 'kube-system/kube-dns:dns/UDP' });
    assert.equal(
      out,
      [
        '# kemu userspace proxy rules for node node-1 (algorithm random); counters are [connections:bytes]',
        '*kemu',
        ':KEMU-SERVICES - [0:0]',
        ':KEMU-NODEPORTS - [0:0]',
        ':KEMU-SVC-WCH7PXWOE4XNMTCY - [0:0]',
        '[0:0] -A KEMU-SERVICES -d 127.96.0.12/32 -p udp --dport 53 -m comment --comment "kube-system/kube-dns:dns has no endpoints" -j REJECT',
        '[0:0] -A KEMU-SERVICES -m addrtype --dst-type LOCAL -j KEMU-NODEPORTS',
        '# KEMU-SVC-WCH7PXWOE4XNMTCY kube-system/kube-dns:dns (UDP): 0 endpoints (0 usable); affinity none; connections 0 active, 0 total, 0 failed; bytes 0 in, 0 out',
        'COMMIT',
      ].join('\n') + '\n',
    );
  });

  test('filtered to one Service by namespace/name: all its ports, nothing else', () => {
    const out = printRules(scenario('random'), { servicePort: 'kube-system/kube-dns' });
    assert.equal(out, printRules(scenario('random'), { servicePort: 'kube-system/kube-dns:dns/UDP' }));
    assert.equal(printRules(scenario('random'), { servicePort: 'kube-system/kube' }).includes('KEMU-SVC-'), false, 'a name prefix is not a match');
  });

  test('externalTrafficPolicy Local without local endpoints drops', () => {
    const t = scenario('random');
    const lb = svc('default', 'lb', {
      type: 'LoadBalancer',
      clusterIP: '127.96.0.11',
      ports: [{ port: 443, nodePort: 30443 }],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
      lbIPs: ['127.77.2.100'],
    });
    t.setService('default/lb', servicePorts(lb), [slice('default', 'lb', 'lb-1', [ep('127.244.2.2', { node: 'node-2' })], [{ port: 8443 }])], 0);
    const out = printRules(t, { servicePort: 'default/lb:/TCP' });
    assert.match(out, /^\[1:0\] -A KEMU-NODEPORTS -d 127\.77\.2\.1\/32 -p tcp --dport 30443 -m comment --comment "default\/lb has no local endpoints" -j DROP$/m);
    assert.match(out, /^\[0:0\] -A KEMU-SERVICES -d 127\.77\.2\.100\/32 -p tcp --dport 443 -m comment --comment "default\/lb has no local endpoints" -j DROP$/m);
    assert.match(out, /^\[0:0\] -A KEMU-SERVICES -d 127\.96\.0\.11\/32 -p tcp --dport 443 -j KEMU-SVC-/m);
  });

  test('probabilities as iptables-save prints them', () => {
    assert.deepEqual(
      [1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 10].map(iptablesProbability),
      ['0.50000000000', '0.33333333349', '0.25000000000', '0.20000000019', '0.10000000009'],
    );
  });
});
