import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceName, ResourceTypes } from '@kemu/api';
import { applyDefaults } from './defaults.js';
import { prepareForCreate, prepareForStatusUpdate, prepareForUpdate } from './prepare.js';
import { OPTS, deployment, endpointSlice, lease, namespace, node, pod, replicaSet, service } from './test-objects.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from './validate.js';

/** A stored object: defaulted, prepared, valid, with what the store and allocator add. */
function stored<R extends ResourceName>(resource: R, obj: ResourceTypes[R], edit?: (o: ResourceTypes[R]) => void): ResourceTypes[R] {
  edit?.(obj);
  applyDefaults(resource, obj, OPTS);
  prepareForCreate(resource, obj);
  const m = (obj.metadata ??= {});
  Object.assign(m, { uid: 'u-1', resourceVersion: '5', creationTimestamp: '2024-05-01T10:00:00Z' });
  if (resource === 'services') {
    const s = (obj as ResourceTypes['services']).spec!;
    if (s.type !== 'ExternalName' && !s.clusterIP) {
      s.clusterIP = '127.96.0.10';
      s.clusterIPs = ['127.96.0.10'];
    }
  }
  assert.deepEqual(validateCreate(resource, obj, OPTS).map(String), [], 'the stored object is valid');
  return obj;
}

/** The update path: the client's object is a copy of the stored one with `edit` applied. */
function updateErrors<R extends ResourceName>(resource: R, old: ResourceTypes[R], edit: (o: ResourceTypes[R]) => void): { obj: ResourceTypes[R]; errs: string[] } {
  const obj = structuredClone(old);
  edit(obj);
  applyDefaults(resource, obj, OPTS);
  prepareForUpdate(resource, obj, old, OPTS);
  return { obj, errs: validateUpdate(resource, obj, old, OPTS).map(String) };
}

describe('validateUpdate: metadata', () => {
  test('name is immutable', () => {
    const old = stored('services', service());
    assert.deepEqual(updateErrors('services', old, (s) => (s.metadata!.name = 'web2')).errs, ['metadata.name: Invalid value: "web2": field is immutable']);
  });

  test('an unconditional update gets the stored resourceVersion; without that step it is refused', () => {
    const old = stored('pods', pod());
    assert.deepEqual(updateErrors('pods', old, (p) => delete p.metadata!.resourceVersion).errs, []);
    const raw = structuredClone(old);
    delete raw.metadata!.resourceVersion;
    assert.deepEqual(validateUpdate('pods', raw, old, OPTS).map(String), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']);
  });

  test('no new finalizers once deletion has started', () => {
    const old = stored('pods', pod(), (p) => (p.metadata!.deletionTimestamp = '2024-05-01T11:00:00Z'));
    const { errs } = updateErrors('pods', old, (p) => (p.metadata!.finalizers = ['example.com/x']));
    assert.deepEqual(errs, [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/x"}',
    ]);
  });
});

describe('validateUpdate: Service', () => {
  test('the cluster IP may not change once set', () => {
    const old = stored('services', service());
    assert.deepEqual(updateErrors('services', old, (s) => (s.spec!.clusterIP = '127.96.0.11')).errs, [
      'spec.clusterIPs[0]: Invalid value: []string{"127.96.0.11"}: may not change once set',
    ]);
  });

  test('a client that omits clusterIP and nodePorts keeps the allocated ones', () => {
    const old = stored('services', service(), (s) => {
      s.spec!.type = 'NodePort';
      s.spec!.ports![0]!.nodePort = 30080;
    });
    const { obj, errs } = updateErrors('services', old, (s) => {
      delete s.spec!.clusterIP;
      delete s.spec!.clusterIPs;
      delete s.spec!.ports![0]!.nodePort;
    });
    assert.deepEqual(errs, []);
    assert.equal(obj.spec!.clusterIP, '127.96.0.10');
    assert.equal(obj.spec!.ports![0]!.nodePort, 30080);
  });

  test('ClusterIP to ExternalName drops the IP fields the client left as they were', () => {
    const old = stored('services', service());
    const { obj, errs } = updateErrors('services', old, (s) => {
      s.spec!.type = 'ExternalName';
      s.spec!.externalName = 'db.example.com';
    });
    assert.deepEqual(errs, []);
    assert.equal(obj.spec!.clusterIP, undefined);
    assert.equal(obj.spec!.clusterIPs, undefined);
    assert.equal(obj.spec!.ipFamilies, undefined);
    assert.equal(obj.spec!.ipFamilyPolicy, undefined);
  });

  test('ExternalName with a cluster IP is refused when the type-dependent fields are not dropped', () => {
    const old = stored('services', service());
    const obj = structuredClone(old);
    obj.spec!.type = 'ExternalName';
    obj.spec!.externalName = 'db.example.com';
    assert.deepEqual(validateUpdate('services', obj, old, OPTS).map(String), [
      'spec.clusterIPs: Forbidden: may not be set for ExternalName services',
      'spec.ipFamilies: Forbidden: may not be set for ExternalName services',
      'spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services',
    ]);
  });

  test('ExternalName to ClusterIP gets IP family fields and awaits a cluster IP', () => {
    const old = stored('services', service(), (s) => {
      s.spec!.type = 'ExternalName';
      s.spec!.externalName = 'db.example.com';
    });
    const { obj, errs } = updateErrors('services', old, (s) => {
      s.spec!.type = 'ClusterIP';
      delete s.spec!.externalName;
    });
    assert.deepEqual(errs, []);
    assert.deepEqual([obj.spec!.ipFamilyPolicy, obj.spec!.ipFamilies], ['SingleStack', ['IPv4']]);
    assert.equal(obj.spec!.internalTrafficPolicy, 'Cluster');
  });

  test('NodePort to ClusterIP releases the node ports', () => {
    const old = stored('services', service(), (s) => {
      s.spec!.type = 'NodePort';
      s.spec!.ports![0]!.nodePort = 30080;
    });
    const { obj, errs } = updateErrors('services', old, (s) => (s.spec!.type = 'ClusterIP'));
    assert.deepEqual(errs, []);
    assert.equal(obj.spec!.ports![0]!.nodePort, undefined);
    assert.equal(obj.spec!.externalTrafficPolicy, undefined);
  });

  test('a newly requested node port is checked against the range', () => {
    const old = stored('services', service(), (s) => (s.spec!.type = 'NodePort'));
    assert.deepEqual(updateErrors('services', old, (s) => (s.spec!.ports![0]!.nodePort = 40000)).errs, [
      'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ]);
  });

  test('the health-check node port is immutable', () => {
    const old = stored('services', service(), (s) => {
      s.spec!.type = 'LoadBalancer';
      s.spec!.externalTrafficPolicy = 'Local';
      s.spec!.healthCheckNodePort = 31000;
    });
    assert.deepEqual(updateErrors('services', old, (s) => (s.spec!.healthCheckNodePort = 31001)).errs, [
      'spec.healthCheckNodePort: Forbidden: field is immutable',
    ]);
  });

  test('status: load-balancer ingress only for LoadBalancer services', () => {
    const old = stored('services', service());
    const obj = structuredClone(old);
    obj.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
    prepareForStatusUpdate('services', obj, old);
    assert.deepEqual(validateStatusUpdate('services', obj, old, OPTS).map(String), [
      "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'",
    ]);
  });
});

describe('validateUpdate: Pod', () => {
  test('the image may change', () => {
    const old = stored('pods', pod());
    assert.deepEqual(updateErrors('pods', old, (p) => (p.spec!.containers![0]!.image = 'nginx:1.26')).errs, []);
  });

  test('other spec fields may not', () => {
    const old = stored('pods', pod());
    const { errs } = updateErrors('pods', old, (p) => (p.spec!.restartPolicy = 'Never'));
    assert.equal(errs.length, 1);
    assert.ok(
      errs[0]!.startsWith(
        'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
          '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
          '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
      ),
      errs[0],
    );
    assert.match(errs[0]!, /\n- \tRestartPolicy: "Always",\n\+ \tRestartPolicy: "Never",/);
  });

  test('containers may not be added or removed', () => {
    const old = stored('pods', pod());
    assert.deepEqual(updateErrors('pods', old, (p) => p.spec!.containers!.push({ name: 'side', image: 'busybox:1' })).errs, [
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
  });

  test('tolerations may be added but not changed', () => {
    const old = stored('pods', pod(), (p) => (p.spec!.tolerations = [{ key: 'a', operator: 'Exists' }]));
    assert.deepEqual(updateErrors('pods', old, (p) => p.spec!.tolerations!.push({ key: 'b', operator: 'Exists' })).errs, []);
    assert.deepEqual(updateErrors('pods', old, (p) => (p.spec!.tolerations = [{ key: 'b', operator: 'Exists' }])).errs, [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
  });

  test('status: pod IPs are IPs; the spec is kept from the stored pod', () => {
    const old = stored('pods', pod());
    const obj = structuredClone(old);
    obj.spec!.nodeName = 'node-9';
    obj.status = { phase: 'Running', podIPs: [{ ip: 'x' }] };
    prepareForStatusUpdate('pods', obj, old);
    assert.equal(obj.spec!.nodeName, undefined);
    assert.deepEqual(validateStatusUpdate('pods', obj, old, OPTS).map(String), [
      'status.podIPs[0]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  test('status: a terminated container of a Never pod stays terminated', () => {
    const old = stored('pods', pod(), (p) => (p.spec!.restartPolicy = 'Never'));
    old.status = { containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0 } } }] };
    const obj = structuredClone(old);
    obj.status!.containerStatuses![0]!.state = { running: {} };
    assert.deepEqual(validateStatusUpdate('pods', obj, old, OPTS).map(String), [
      'status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state',
    ]);
  });
});

describe('validateUpdate: Deployment and ReplicaSet', () => {
  test('the selector is immutable', () => {
    const old = stored('deployments', deployment());
    const { errs } = updateErrors('deployments', old, (d) => {
      d.spec!.selector = { matchLabels: { app: 'y' } };
      d.spec!.template!.metadata!.labels = { app: 'y' };
    });
    assert.deepEqual(errs, [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: ' +
        'field is immutable',
    ]);
    const rs = stored('replicasets', replicaSet());
    assert.equal(updateErrors('replicasets', rs, (r) => (r.spec!.selector = { matchLabels: { app: 'x', v: '2' } })).errs.length, 2);
  });

  test('a spec or annotation change bumps the generation; a label change does not', () => {
    const old = stored('deployments', deployment());
    assert.equal(old.metadata!.generation, 1);
    assert.equal(updateErrors('deployments', old, (d) => (d.spec!.replicas = 3)).obj.metadata!.generation, 2);
    assert.equal(updateErrors('deployments', old, (d) => (d.metadata!.annotations = { a: 'b' })).obj.metadata!.generation, 2);
    assert.equal(updateErrors('deployments', old, (d) => (d.metadata!.labels = { a: 'b' })).obj.metadata!.generation, 1);
  });

  test('status counts', () => {
    const old = stored('deployments', deployment());
    const obj = structuredClone(old);
    obj.status = { replicas: 2, readyReplicas: 3, availableReplicas: 1 };
    prepareForStatusUpdate('deployments', obj, old);
    assert.deepEqual(validateStatusUpdate('deployments', obj, old, OPTS).map(String), [
      'status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
    ]);
  });
});

describe('validateUpdate: other kinds', () => {
  test("an EndpointSlice's address type is immutable", () => {
    const old = stored('endpointslices', endpointSlice());
    const { errs } = updateErrors('endpointslices', old, (s) => {
      s.addressType = 'IPv6';
      s.endpoints = [];
    });
    assert.deepEqual(errs, ['addressType: Invalid value: "IPv6": field is immutable']);
  });

  test("a node's podCIDRs are set once", () => {
    const old = stored('nodes', node(), (n) => (n.spec = { podCIDR: '10.244.1.0/24' }));
    assert.deepEqual(updateErrors('nodes', old, (n) => (n.spec = { podCIDR: '10.244.2.0/24' })).errs, [
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
    const fresh = stored('nodes', node());
    assert.deepEqual(updateErrors('nodes', fresh, (n) => (n.spec = { podCIDR: '10.244.2.0/24' })).errs, []);
  });

  test('namespace status phase follows deletionTimestamp; spec finalizers are kept on update', () => {
    const old = stored('namespaces', namespace());
    const obj = structuredClone(old);
    obj.status = { phase: 'Terminating' };
    prepareForStatusUpdate('namespaces', obj, old);
    assert.deepEqual(validateStatusUpdate('namespaces', obj, old, OPTS).map(String), [
      'status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
    ]);
    const { obj: updated } = updateErrors('namespaces', old, (n) => (n.spec = { finalizers: [] }));
    assert.deepEqual(updated.spec!.finalizers, ['kubernetes']);
  });

  test('lease transitions are non-negative', () => {
    const old = stored('leases', lease());
    assert.deepEqual(updateErrors('leases', old, (l) => (l.spec!.leaseTransitions = -1)).errs, [
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});
