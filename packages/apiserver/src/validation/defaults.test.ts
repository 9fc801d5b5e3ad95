import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceName, ResourceTypes } from '@kemu/api';
import { applyDefaults } from './defaults.js';
import { prepareForCreate } from './prepare.js';
import { OPTS, deployment, endpointSlice, endpoints, namespace, node, pod, replicaSet, service } from './test-objects.js';

function defaulted<R extends ResourceName>(resource: R, obj: ResourceTypes[R]): ResourceTypes[R] {
  applyDefaults(resource, obj, OPTS);
  return obj;
}

describe('applyDefaults: Service', () => {
  test('a ClusterIP service gets every Kubernetes default', () => {
    const s = defaulted('services', service());
    assert.deepEqual(s.spec, {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  test('a set targetPort, named or numbered, is kept', () => {
    const s = service();
    s.spec!.ports = [
      { name: 'a', port: 80, targetPort: 'http' },
      { name: 'b', port: 81, targetPort: 8081 },
    ];
    assert.deepEqual(
      defaulted('services', s).spec!.ports!.map((p) => p.targetPort),
      ['http', 8081],
    );
  });

  test('LoadBalancer: external traffic policy, node-port allocation and the ingress IP mode', () => {
    const s = service();
    s.spec!.type = 'LoadBalancer';
    s.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.example.com' }] } };
    defaulted('services', s);
    assert.equal(s.spec!.externalTrafficPolicy, 'Cluster');
    assert.equal(s.spec!.allocateLoadBalancerNodePorts, true);
    assert.equal(s.spec!.internalTrafficPolicy, 'Cluster');
    assert.deepEqual(s.status.loadBalancer!.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }, { hostname: 'lb.example.com' }]);
  });

  test('ClientIP affinity gets the three-hour timeout; None drops any config', () => {
    const a = service();
    a.spec!.sessionAffinity = 'ClientIP';
    assert.deepEqual(defaulted('services', a).spec!.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    const b = service();
    b.spec!.sessionAffinityConfig = { clientIP: { timeoutSeconds: 5 } };
    assert.equal(defaulted('services', b).spec!.sessionAffinityConfig, undefined);
  });

  test('a ClusterIP with externalIPs is externally accessible and gets a traffic policy', () => {
    const s = service();
    s.spec!.externalIPs = ['192.0.2.10'];
    assert.equal(defaulted('services', s).spec!.externalTrafficPolicy, 'Cluster');
  });

  test('clusterIP alone fills clusterIPs', () => {
    const s = service();
    s.spec!.clusterIP = '127.96.0.10';
    assert.deepEqual(defaulted('services', s).spec!.clusterIPs, ['127.96.0.10']);
  });

  test('headless without a selector asks for both families, even on a single-stack cluster', () => {
    const s = service();
    s.spec!.clusterIP = 'None';
    delete s.spec!.selector;
    defaulted('services', s);
    assert.equal(s.spec!.ipFamilyPolicy, 'RequireDualStack');
    assert.deepEqual(s.spec!.ipFamilies, ['IPv4', 'IPv6']);
  });

  test('headless with a selector stays single-stack', () => {
    const s = service();
    s.spec!.clusterIP = 'None';
    defaulted('services', s);
    assert.equal(s.spec!.ipFamilyPolicy, 'SingleStack');
    assert.deepEqual(s.spec!.ipFamilies, ['IPv4']);
  });

  test('ExternalName gets no IP family fields and no internal traffic policy', () => {
    const s = service();
    s.spec!.type = 'ExternalName';
    s.spec!.externalName = 'db.example.com';
    defaulted('services', s);
    assert.equal(s.spec!.ipFamilies, undefined);
    assert.equal(s.spec!.ipFamilyPolicy, undefined);
    assert.equal(s.spec!.internalTrafficPolicy, undefined);
  });

  test('an IPv6 clusterIP on an IPv4 cluster is left for validation to refuse', () => {
    const s = service();
    s.spec!.clusterIP = 'fd00::1';
    defaulted('services', s);
    assert.equal(s.spec!.ipFamilies, undefined);
  });
});

describe('applyDefaults: workloads', () => {
  test('a Pod gets restart policy, grace period, scheduler, pull policy, port protocol and probe defaults', () => {
    const p = pod();
    const c = p.spec!.containers![0]!;
    c.ports = [{ containerPort: 80 }];
    c.readinessProbe = { httpGet: { port: 80 } };
    c.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 3 };
    defaulted('pods', p);
    assert.equal(p.spec!.restartPolicy, 'Always');
    assert.equal(p.spec!.terminationGracePeriodSeconds, 30);
    assert.equal(p.spec!.schedulerName, 'default-scheduler');
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(c.readinessProbe, {
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(c.livenessProbe.periodSeconds, 3);
  });

  test('image pull policy follows the tag: latest or none means Always', () => {
    const policy = (image: string): string | undefined => {
      const p = pod();
      p.spec!.containers![0]!.image = image;
      return defaulted('pods', p).spec!.containers![0]!.imagePullPolicy;
    };
    assert.equal(policy('nginx'), 'Always');
    assert.equal(policy('nginx:latest'), 'Always');
    assert.equal(policy('localhost:5000/nginx'), 'Always');
    assert.equal(policy('localhost:5000/nginx:1.25'), 'IfNotPresent');
    assert.equal(policy('nginx@sha256:0e072dddd1f7f8fc8909a2ca6f65e76c5f0d2fcfb8be47935ae3457e8bbceb20'), 'IfNotPresent');
  });

  test('an explicit zero grace period is kept', () => {
    const p = pod();
    p.spec!.terminationGracePeriodSeconds = 0;
    assert.equal(defaulted('pods', p).spec!.terminationGracePeriodSeconds, 0);
  });

  test('a Deployment gets replicas, a 25% rolling update, history and progress deadline, and pod-spec defaults', () => {
    const d = defaulted('deployments', deployment());
    assert.equal(d.spec!.replicas, 1);
    assert.deepEqual(d.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(d.spec!.revisionHistoryLimit, 10);
    assert.equal(d.spec!.progressDeadlineSeconds, 600);
    assert.equal(d.spec!.template!.spec!.restartPolicy, 'Always');
    assert.equal(d.spec!.template!.spec!.containers![0]!.imagePullPolicy, 'Always');
  });

  test('a Recreate Deployment gets no rollingUpdate; set values are kept', () => {
    const d = deployment();
    d.spec!.strategy = { type: 'Recreate' };
    d.spec!.replicas = 0;
    defaulted('deployments', d);
    assert.deepEqual(d.spec!.strategy, { type: 'Recreate' });
    assert.equal(d.spec!.replicas, 0);
  });

  test('a ReplicaSet gets one replica and pod-spec defaults', () => {
    const rs = defaulted('replicasets', replicaSet());
    assert.equal(rs.spec!.replicas, 1);
    assert.equal(rs.spec!.template!.spec!.terminationGracePeriodSeconds, 30);
  });
});

describe('applyDefaults: other kinds', () => {
  test('endpoint ports default to TCP; slice ports also get an empty name', () => {
    assert.equal(defaulted('endpoints', endpoints()).subsets![0]!.ports![0]!.protocol, 'TCP');
    const s = endpointSlice();
    s.ports = [{ port: 80 }];
    assert.deepEqual(defaulted('endpointslices', s).ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  });

  test('a namespace gets its name label and Active phase; the kubernetes finalizer comes with create', () => {
    const ns = defaulted('namespaces', namespace());
    assert.deepEqual(ns.metadata!.labels, { 'kubernetes.io/metadata.name': 'team-a' });
    assert.deepEqual(ns.status, { phase: 'Active' });
    assert.equal(ns.spec, undefined);
    prepareForCreate('namespaces', ns);
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  });

  test("a node's podCIDR and podCIDRs mirror each other", () => {
    const a = node();
    a.spec = { podCIDR: '10.244.1.0/24' };
    assert.deepEqual(defaulted('nodes', a).spec, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
    const b = node();
    b.spec = { podCIDRs: ['10.244.2.0/24'] };
    assert.equal(defaulted('nodes', b).spec!.podCIDR, '10.244.2.0/24');
  });

  test('defaulting twice changes nothing more', () => {
    const kinds: [ResourceName, () => ResourceTypes[ResourceName]][] = [
      ['services', service],
      ['pods', pod],
      ['deployments', deployment],
      ['replicasets', replicaSet],
      ['endpointslices', endpointSlice],
      ['namespaces', namespace],
    ];
    for (const [r, make] of kinds) {
      const once = defaulted(r, make());
      const twice = defaulted(r, structuredClone(once));
      assert.deepEqual(twice, once, r);
    }
  });
});
