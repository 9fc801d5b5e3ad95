import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isApiError, type KubeClient, type ResourceName, type ResourceTypes } from '@kemu/api';
import { ControlPlane, KvClient } from '../harness/index.js';

type Case = { name: string; resource: ResourceName; obj: unknown; error: RegExp; reason?: 'Invalid' | 'BadRequest' };

const svc = (spec: Record<string, unknown>, name = 'bad-svc'): unknown => ({ metadata: { name, namespace: 'default' }, spec });
const pod = (spec: Record<string, unknown>, name = 'bad-pod'): unknown => ({ metadata: { name, namespace: 'default' }, spec });
const deploy = (spec: Record<string, unknown>): unknown => ({
  metadata: { name: 'bad-deploy', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'a' } },
    template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    ...spec,
  },
});
const tmpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

// Each of these must be refused with a Kubernetes-style error naming the field, and must
// leave nothing behind in etcd: no object, no ClusterIP, no node port.
const CASES: Case[] = [
  { name: 'service nodePort below range', resource: 'services', obj: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 29999 }] }), error: /^Service "bad-svc" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 29999: provided port is not in the valid range\. The range of valid ports is 30000-32767$/ },
  { name: 'service nodePort above range', resource: 'services', obj: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }), error: /spec\.ports\[0\]\.nodePort: Invalid value: 40000: provided port is not in the valid range/ },
  { name: 'service name not DNS-1035', resource: 'services', obj: svc({ ports: [{ port: 80 }] }, '1abc'), error: /metadata\.name: Invalid value: "1abc": a DNS-1035 label must consist of lower case alphanumeric characters/ },
  { name: 'service name uppercase', resource: 'services', obj: svc({ ports: [{ port: 80 }] }, 'Web'), error: /metadata\.name: Invalid value: "Web"/ },
  { name: 'service port 0', resource: 'services', obj: svc({ ports: [{ port: 0 }] }), error: /spec\.ports\[0\]\.port: (Required value|Invalid value: 0)/ },
  { name: 'service port 70000', resource: 'services', obj: svc({ ports: [{ port: 70000 }] }), error: /spec\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535, inclusive/ },
  { name: 'service protocol', resource: 'services', obj: svc({ ports: [{ port: 80, protocol: 'HTTP' }] }), error: /spec\.ports\[0\]\.protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"/ },
  { name: 'service duplicate port names', resource: 'services', obj: svc({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }), error: /spec\.ports\[1\]\.name: Duplicate value: "a"/ },
  { name: 'service duplicate port numbers', resource: 'services', obj: svc({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }), error: /spec\.ports\[1\]: Duplicate value/ },
  { name: 'service unnamed ports when several', resource: 'services', obj: svc({ ports: [{ port: 80 }, { port: 81 }] }), error: /spec\.ports\[\d\]\.name: Required value/ },
  { name: 'service no ports', resource: 'services', obj: svc({ selector: { a: 'b' } }), error: /spec\.ports: Required value/ },
  { name: 'service bad type', resource: 'services', obj: svc({ type: 'Magic', ports: [{ port: 80 }] }), error: /spec\.type: Unsupported value: "Magic"/ },
  { name: 'service nodePort on ClusterIP', resource: 'services', obj: svc({ type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }] }), error: /spec\.ports\[0\]\.nodePort: Forbidden/ },
  { name: 'service clusterIP outside range', resource: 'services', obj: svc({ clusterIP: '10.0.0.1', ports: [{ port: 80 }] }), error: /spec\.clusterIPs(\[0\])?: Invalid value: .*10\.0\.0\.1.*not in the valid range/ },
  { name: 'service clusterIP not an IP', resource: 'services', obj: svc({ clusterIP: 'banana', ports: [{ port: 80 }] }), error: /spec\.clusterIPs?(\[0\])?: Invalid value: .*banana/ },
  { name: 'service targetPort name too long', resource: 'services', obj: svc({ ports: [{ port: 80, targetPort: 'averyveryverylongname' }] }), error: /spec\.ports\[0\]\.targetPort: Invalid value: "averyveryverylongname"/ },
  { name: 'service affinity', resource: 'services', obj: svc({ sessionAffinity: 'Sticky', ports: [{ port: 80 }] }), error: /spec\.sessionAffinity: Unsupported value: "Sticky"/ },
  { name: 'service affinity timeout', resource: 'services', obj: svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } }, ports: [{ port: 80 }] }), error: /spec\.sessionAffinityConfig\.clientIP\.timeoutSeconds: Invalid value: 0/ },
  { name: 'service externalTrafficPolicy on ClusterIP', resource: 'services', obj: svc({ externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), error: /spec\.externalTrafficPolicy/ },
  { name: 'service ExternalName without name', resource: 'services', obj: svc({ type: 'ExternalName' }), error: /spec\.externalName: Required value/ },
  { name: 'service headless NodePort', resource: 'services', obj: svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }), error: /spec\.clusterIPs?(\[0\])?: Invalid value: "None"/ },
  { name: 'service selector label value', resource: 'services', obj: svc({ selector: { app: 'bad value!' }, ports: [{ port: 80 }] }), error: /spec\.selector: Invalid value: "bad value!"/ },
  { name: 'service unknown field', resource: 'services', obj: svc({ ports: [{ port: 80 }], loadBalancerSourceRangez: [] }), error: /strict decoding error: unknown field "spec\.loadBalancerSourceRangez"/, reason: 'BadRequest' },
  { name: 'service port as string', resource: 'services', obj: svc({ ports: [{ port: '80' }] }), error: /cannot unmarshal string into Go struct field .*port of type int32/, reason: 'BadRequest' },
  { name: 'pod without containers', resource: 'pods', obj: pod({ containers: [] }), error: /spec\.containers: Required value/ },
  { name: 'pod container without image', resource: 'pods', obj: pod({ containers: [{ name: 'c' }] }), error: /spec\.containers\[0\]\.image: Required value/ },
  { name: 'pod duplicate container names', resource: 'pods', obj: pod({ containers: [{ name: 'c', image: 'i' }, { name: 'c', image: 'i' }] }), error: /spec\.containers\[1\]\.name: Duplicate value: "c"/ },
  { name: 'pod restartPolicy', resource: 'pods', obj: pod({ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'i' }] }), error: /spec\.restartPolicy: Unsupported value: "Sometimes"/ },
  { name: 'pod containerPort', resource: 'pods', obj: pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 0 }] }] }), error: /spec\.containers\[0\]\.ports\[0\]\.containerPort/ },
  { name: 'pod name', resource: 'pods', obj: pod({ containers: [{ name: 'c', image: 'i' }] }, 'Bad_Name'), error: /metadata\.name: Invalid value: "Bad_Name"/ },
  { name: 'deployment selector mismatch', resource: 'deployments', obj: deploy({ selector: { matchLabels: { app: 'b' } } }), error: /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/ },
  { name: 'deployment negative replicas', resource: 'deployments', obj: deploy({ replicas: -1 }), error: /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/ },
  { name: 'deployment restartPolicy', resource: 'deployments', obj: deploy({ template: { ...tmpl, spec: { ...tmpl.spec, restartPolicy: 'Never' } } }), error: /spec\.template\.spec\.restartPolicy: Unsupported value: "Never": supported values: "Always"/ },
  { name: 'deployment zero surge and unavailable', resource: 'deployments', obj: deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), error: /spec\.strategy\.rollingUpdate\.maxUnavailable: Invalid value: intstr\.IntOrString\{Type:0, IntVal:0, StrVal:""\}: may not be 0 when `maxSurge` is 0/ },
  { name: 'deployment strategy type', resource: 'deployments', obj: deploy({ strategy: { type: 'BlueGreen' } }), error: /spec\.strategy: Unsupported value: apps\.DeploymentStrategy\{Type:"BlueGreen".*supported values: "Recreate", "RollingUpdate"/ },
  { name: 'endpointslice address type', resource: 'endpointslices', obj: { metadata: { name: 'bad-slice', namespace: 'default' }, addressType: 'IPv5', endpoints: [] }, error: /addressType: Unsupported value: "IPv5"/ },
  { name: 'node taint effect', resource: 'nodes', obj: { metadata: { name: 'bad-node' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } }, // Kubernetes really prints metadata.taints here.
    error: /metadata\.taints\[0\]\.effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"/ },
  { name: 'namespace name', resource: 'namespaces', obj: { metadata: { name: 'Not.Valid' } }, error: /metadata\.name: Invalid value: "Not\.Valid"/ },
];

describe('invalid objects are rejected with field errors and leave nothing written', () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let kv: KvClient;

  before(async () => {
    cp = await ControlPlane.start({ ipPrefix: '127.30.3', apiservers: 1, controllerManagers: 0 });
    client = cp.client();
    kv = new KvClient(cp.etcd.endpoints()[0]!);
  });
  after(async () => {
    client?.close();
    await cp?.destroy();
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const allocBefore = (await kv.rangePrefix('/registry/ipaddresses/', { serializable: false })).count;
      const portsBefore = (await kv.rangePrefix('/registry/servicenodeports/', { serializable: false })).count;
      await assert.rejects(
        client.create(c.resource, c.obj as ResourceTypes[typeof c.resource]),
        (e: unknown) => {
          assert.ok(isApiError(e), String(e));
          assert.equal(e.reason, c.reason ?? 'Invalid', e.message);
          assert.match(e.message, c.error);
          return true;
        },
      );
      const meta = (c.obj as { metadata: { name: string; namespace?: string } }).metadata;
      const objects = await kv.rangePrefix('/registry/', { serializable: false });
      const leaked = objects.kvs.map((k) => k.key.toString()).filter((k) => k.endsWith(`/${meta.name}`));
      assert.deepEqual(leaked, [], 'no object written');
      assert.equal((await kv.rangePrefix('/registry/ipaddresses/', { serializable: false })).count, allocBefore, 'no ClusterIP claimed');
      assert.equal((await kv.rangePrefix('/registry/servicenodeports/', { serializable: false })).count, portsBefore, 'no node port claimed');
    });
  }
});
