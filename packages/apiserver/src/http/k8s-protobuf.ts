import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { errors, objectSchema, resourceForKind, resourceInfo, type FieldKind } from '@kemu/api';

/**
 * Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf),
 * which client-go's typed clients send from kubectl 1.32 on (`kubectl create deployment`,
 * `create service`, `create namespace`). Responses stay JSON: those clients accept it.
 *
 * A body is the magic "k8s\0" and a runtime.Unknown {typeMeta{apiVersion, kind}, raw},
 * where raw is the object as k8s.io/api's generated.proto numbers it. kemu's
 * proto/kemu/api messages use the same field numbers, except where noted below, so the
 * table maps numbers to kemu's field names; the field types come from kemu's schema.
 * The result is the JSON form the rest of the server takes: Go's omitempty applied
 * (zero scalars of non-pointer fields and zero times left out), unknown fields with a
 * value kept as `<proto field N>` so that fieldValidation reports them, empty ones dropped.
 */

type FieldRef = string | { inline: string };
const T: Record<string, Record<number, FieldRef>> = {
  'kemu.api.meta.v1.ObjectMeta': {
    1: 'name', 2: 'generateName', 3: 'namespace', 5: 'uid', 6: 'resourceVersion', 7: 'generation', 8: 'creationTimestamp',
    9: 'deletionTimestamp', 10: 'deletionGracePeriodSeconds', 11: 'labels', 12: 'annotations', 13: 'ownerReferences', 14: 'finalizers',
  },
  'kemu.api.meta.v1.OwnerReference': { 1: 'kind', 3: 'name', 4: 'uid', 5: 'apiVersion', 6: 'controller', 7: 'blockOwnerDeletion' },
  'kemu.api.meta.v1.LabelSelector': { 1: 'matchLabels', 2: 'matchExpressions' },
  'kemu.api.meta.v1.LabelSelectorRequirement': { 1: 'key', 2: 'operator', 3: 'values' },
  'kemu.api.meta.v1.Condition': { 1: 'type', 2: 'status', 3: 'observedGeneration', 4: 'lastTransitionTime', 5: 'reason', 6: 'message' },
  // apps/v1 DeploymentCondition and ReplicaSetCondition, stored by kemu as meta Condition.
  'k8s.DeploymentCondition': { 1: 'type', 2: 'status', 4: 'reason', 5: 'message', 7: 'lastTransitionTime' },
  'k8s.ReplicaSetCondition': { 1: 'type', 2: 'status', 3: 'lastTransitionTime', 4: 'reason', 5: 'message' },
  'kemu.api.core.v1.ObjectReference': { 1: 'kind', 2: 'namespace', 3: 'name', 4: 'uid', 5: 'apiVersion', 6: 'resourceVersion', 7: 'fieldPath' },
  'kemu.api.core.v1.Namespace': { 1: 'metadata', 2: 'spec', 3: 'status' },
  'kemu.api.core.v1.NamespaceSpec': { 1: 'finalizers' },
  'kemu.api.core.v1.NamespaceStatus': { 1: 'phase' },
  'kemu.api.core.v1.Node': { 1: 'metadata', 2: 'spec', 3: 'status' },
  'kemu.api.core.v1.NodeSpec': { 1: 'podCIDR', 4: 'unschedulable', 5: 'taints', 7: 'podCIDRs' },
  'kemu.api.core.v1.Taint': { 1: 'key', 2: 'value', 3: 'effect', 4: 'timeAdded' },
  'kemu.api.core.v1.NodeStatus': { 1: 'capacity', 2: 'allocatable', 3: 'phase', 4: 'conditions', 5: 'addresses', 6: 'daemonEndpoints', 7: 'nodeInfo' },
  'kemu.api.core.v1.NodeCondition': { 1: 'type', 2: 'status', 3: 'lastHeartbeatTime', 4: 'lastTransitionTime', 5: 'reason', 6: 'message' },
  'kemu.api.core.v1.NodeAddress': { 1: 'type', 2: 'address' },
  'kemu.api.core.v1.NodeDaemonEndpoints': { 1: 'kubeletEndpoint' },
  'kemu.api.core.v1.DaemonEndpoint': { 1: 'Port' },
  'kemu.api.core.v1.NodeSystemInfo': {
    1: 'machineID', 2: 'systemUUID', 3: 'bootID', 4: 'kernelVersion', 5: 'osImage', 6: 'containerRuntimeVersion', 7: 'kubeletVersion',
    8: 'kubeProxyVersion', 9: 'operatingSystem', 10: 'architecture',
  },
  'kemu.api.core.v1.Pod': { 1: 'metadata', 2: 'spec', 3: 'status' },
  'kemu.api.core.v1.PodTemplateSpec': { 1: 'metadata', 2: 'spec' },
  'kemu.api.core.v1.PodSpec': {
    2: 'containers', 3: 'restartPolicy', 4: 'terminationGracePeriodSeconds', 7: 'nodeSelector', 8: 'serviceAccountName', 10: 'nodeName',
    11: 'hostNetwork', 16: 'hostname', 17: 'subdomain', 19: 'schedulerName', 22: 'tolerations', 30: 'enableServiceLinks',
  },
  'kemu.api.core.v1.Container': {
    1: 'name', 2: 'image', 3: 'command', 4: 'args', 5: 'workingDir', 6: 'ports', 7: 'env', 10: 'livenessProbe', 11: 'readinessProbe',
    14: 'imagePullPolicy', 22: 'startupProbe',
  },
  'kemu.api.core.v1.ContainerPort': { 1: 'name', 2: 'hostPort', 3: 'containerPort', 4: 'protocol' },
  'kemu.api.core.v1.EnvVar': { 1: 'name', 2: 'value', 3: 'valueFrom' },
  'kemu.api.core.v1.EnvVarSource': { 1: 'fieldRef' },
  'kemu.api.core.v1.ObjectFieldSelector': { 1: 'apiVersion', 2: 'fieldPath' },
  // Kubernetes nests the probe action in a ProbeHandler (field 1); kemu's Probe has it inline.
  'kemu.api.core.v1.Probe': {
    1: { inline: 'k8s.ProbeHandler' }, 2: 'initialDelaySeconds', 3: 'timeoutSeconds', 4: 'periodSeconds', 5: 'successThreshold',
    6: 'failureThreshold', 7: 'terminationGracePeriodSeconds',
  },
  'k8s.ProbeHandler': { 1: 'exec', 2: 'httpGet', 3: 'tcpSocket' },
  'kemu.api.core.v1.ExecAction': { 1: 'command' },
  'kemu.api.core.v1.HTTPGetAction': { 1: 'path', 2: 'port', 3: 'host', 4: 'scheme', 5: 'httpHeaders' },
  'kemu.api.core.v1.HTTPHeader': { 1: 'name', 2: 'value' },
  'kemu.api.core.v1.TCPSocketAction': { 1: 'port', 2: 'host' },
  'kemu.api.core.v1.Toleration': { 1: 'key', 2: 'operator', 3: 'value', 4: 'effect', 5: 'tolerationSeconds' },
  'kemu.api.core.v1.PodStatus': {
    1: 'phase', 2: 'conditions', 3: 'message', 4: 'reason', 5: 'hostIP', 6: 'podIP', 7: 'startTime', 8: 'containerStatuses', 12: 'podIPs', 16: 'hostIPs',
  },
  'kemu.api.core.v1.PodCondition': { 1: 'type', 2: 'status', 3: 'lastProbeTime', 4: 'lastTransitionTime', 5: 'reason', 6: 'message' },
  'kemu.api.core.v1.PodIP': { 1: 'ip' },
  'kemu.api.core.v1.HostIP': { 1: 'ip' },
  'kemu.api.core.v1.ContainerStatus': { 1: 'name', 2: 'state', 3: 'lastState', 4: 'ready', 5: 'restartCount', 6: 'image', 7: 'imageID', 8: 'containerID', 9: 'started' },
  'kemu.api.core.v1.ContainerState': { 1: 'waiting', 2: 'running', 3: 'terminated' },
  'kemu.api.core.v1.ContainerStateWaiting': { 1: 'reason', 2: 'message' },
  'kemu.api.core.v1.ContainerStateRunning': { 1: 'startedAt' },
  'kemu.api.core.v1.ContainerStateTerminated': { 1: 'exitCode', 2: 'signal', 3: 'reason', 4: 'message', 5: 'startedAt', 6: 'finishedAt' },
  'kemu.api.core.v1.Service': { 1: 'metadata', 2: 'spec', 3: 'status' },
  'kemu.api.core.v1.ServiceSpec': {
    1: 'ports', 2: 'selector', 3: 'clusterIP', 4: 'type', 5: 'externalIPs', 7: 'sessionAffinity', 8: 'loadBalancerIP', 9: 'loadBalancerSourceRanges',
    10: 'externalName', 11: 'externalTrafficPolicy', 12: 'healthCheckNodePort', 13: 'publishNotReadyAddresses', 14: 'sessionAffinityConfig',
    17: 'ipFamilyPolicy', 18: 'clusterIPs', 19: 'ipFamilies', 20: 'allocateLoadBalancerNodePorts', 21: 'loadBalancerClass', 22: 'internalTrafficPolicy',
  },
  'kemu.api.core.v1.ServicePort': { 1: 'name', 2: 'protocol', 3: 'port', 4: 'targetPort', 5: 'nodePort', 6: 'appProtocol' },
  'kemu.api.core.v1.SessionAffinityConfig': { 1: 'clientIP' },
  'kemu.api.core.v1.ClientIPConfig': { 1: 'timeoutSeconds' },
  'kemu.api.core.v1.ServiceStatus': { 1: 'loadBalancer', 2: 'conditions' },
  'kemu.api.core.v1.LoadBalancerStatus': { 1: 'ingress' },
  'kemu.api.core.v1.LoadBalancerIngress': { 1: 'ip', 2: 'hostname', 3: 'ipMode', 4: 'ports' },
  'kemu.api.core.v1.PortStatus': { 1: 'port', 2: 'protocol', 3: 'error' },
  'kemu.api.core.v1.Endpoints': { 1: 'metadata', 2: 'subsets' },
  'kemu.api.core.v1.EndpointSubset': { 1: 'addresses', 2: 'notReadyAddresses', 3: 'ports' },
  'kemu.api.core.v1.EndpointAddress': { 1: 'ip', 2: 'targetRef', 3: 'hostname', 4: 'nodeName' },
  'kemu.api.core.v1.EndpointPort': { 1: 'name', 2: 'port', 3: 'protocol', 4: 'appProtocol' },
  'kemu.api.apps.v1.Deployment': { 1: 'metadata', 2: 'spec', 3: 'status' },
  'kemu.api.apps.v1.DeploymentSpec': {
    1: 'replicas', 2: 'selector', 3: 'template', 4: 'strategy', 5: 'minReadySeconds', 6: 'revisionHistoryLimit', 7: 'paused', 9: 'progressDeadlineSeconds',
  },
  'kemu.api.apps.v1.DeploymentStrategy': { 1: 'type', 2: 'rollingUpdate' },
  'kemu.api.apps.v1.RollingUpdateDeployment': { 1: 'maxUnavailable', 2: 'maxSurge' },
  'kemu.api.apps.v1.DeploymentStatus': {
    1: 'observedGeneration', 2: 'replicas', 3: 'updatedReplicas', 4: 'availableReplicas', 5: 'unavailableReplicas', 6: 'conditions', 7: 'readyReplicas',
  },
  'kemu.api.apps.v1.ReplicaSet': { 1: 'metadata', 2: 'spec', 3: 'status' },
  'kemu.api.apps.v1.ReplicaSetSpec': { 1: 'replicas', 2: 'selector', 3: 'template', 4: 'minReadySeconds' },
  'kemu.api.apps.v1.ReplicaSetStatus': { 1: 'replicas', 2: 'fullyLabeledReplicas', 3: 'observedGeneration', 4: 'readyReplicas', 5: 'availableReplicas', 6: 'conditions' },
  'kemu.api.discovery.v1.EndpointSlice': { 1: 'metadata', 2: 'endpoints', 3: 'ports', 4: 'addressType' },
  'kemu.api.discovery.v1.Endpoint': { 1: 'addresses', 2: 'conditions', 3: 'hostname', 4: 'targetRef', 6: 'nodeName', 7: 'zone', 8: 'hints' },
  'kemu.api.discovery.v1.EndpointConditions': { 1: 'ready', 2: 'serving', 3: 'terminating' },
  'kemu.api.discovery.v1.EndpointHints': { 1: 'forZones' },
  'kemu.api.discovery.v1.ForZone': { 1: 'name' },
  'kemu.api.discovery.v1.EndpointPort': { 1: 'name', 2: 'protocol', 3: 'port', 4: 'appProtocol' },
  'kemu.api.coordination.v1.Lease': { 1: 'metadata', 2: 'spec' },
  'kemu.api.coordination.v1.LeaseSpec': { 1: 'holderIdentity', 2: 'leaseDurationSeconds', 3: 'acquireTime', 4: 'renewTime', 5: 'leaseTransitions' },
};

/** Fields whose numbering differs by where the message is used. */
const CONTEXT: Record<string, string> = {
  'kemu.api.apps.v1.DeploymentStatus.conditions': 'k8s.DeploymentCondition',
  'kemu.api.apps.v1.ReplicaSetStatus.conditions': 'k8s.ReplicaSetCondition',
};

/** Go pointer fields (`optional` in kemu's protos): their zero values are values, not "unset". */
const POINTERS = new Set([
  'kemu.api.apps.v1.ReplicaSetSpec.replicas',
  'kemu.api.apps.v1.DeploymentSpec.replicas',
  'kemu.api.apps.v1.DeploymentSpec.revisionHistoryLimit',
  'kemu.api.apps.v1.DeploymentSpec.progressDeadlineSeconds',
  'kemu.api.coordination.v1.LeaseSpec.leaseDurationSeconds',
  'kemu.api.coordination.v1.LeaseSpec.leaseTransitions',
  'kemu.api.core.v1.Probe.terminationGracePeriodSeconds',
  'kemu.api.core.v1.Toleration.tolerationSeconds',
  'kemu.api.core.v1.PodSpec.terminationGracePeriodSeconds',
  'kemu.api.core.v1.PodSpec.enableServiceLinks',
  'kemu.api.core.v1.ContainerStatus.started',
  'kemu.api.core.v1.ClientIPConfig.timeoutSeconds',
  'kemu.api.core.v1.ServiceSpec.allocateLoadBalancerNodePorts',
  'kemu.api.discovery.v1.EndpointConditions.ready',
  'kemu.api.discovery.v1.EndpointConditions.serving',
  'kemu.api.discovery.v1.EndpointConditions.terminating',
  'kemu.api.discovery.v1.EndpointPort.port',
  'kemu.api.meta.v1.OwnerReference.controller',
  'kemu.api.meta.v1.OwnerReference.blockOwnerDeletion',
  'kemu.api.meta.v1.ObjectMeta.deletionGracePeriodSeconds',
]);

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function bad(why: string): never {
  throw errors.badRequest(`protobuf: ${why}`);
}

/** The JSON object a protobuf request body carries (apiVersion and kind from its envelope). */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) bad('the body does not start with the "k8s\\x00" envelope prefix');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array | undefined;
  each(new BinaryReader(body.subarray(4)), 'runtime.Unknown', (no, wt, r) => {
    if (no === 1 && wt === WireType.LengthDelimited) {
      each(new BinaryReader(r.bytes()), 'runtime.TypeMeta', (n, w, rr) => {
        if (n === 1 && w === WireType.LengthDelimited) apiVersion = rr.string();
        else if (n === 2 && w === WireType.LengthDelimited) kind = rr.string();
        else rr.skip(w);
      });
    } else if (no === 2 && wt === WireType.LengthDelimited) raw = r.bytes();
    else r.skip(wt);
  });
  if (kind === 'DeleteOptions') return { apiVersion, kind, ...decodeDeleteOptions(raw ?? new Uint8Array()) };
  const resource = resourceForKind(apiVersion, kind);
  if (!resource) bad(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)}`);
  const obj = decodeMessage(raw ?? new Uint8Array(), resourceInfo(resource).schema, resourceInfo(resource).schema);
  return { apiVersion, kind, ...obj };
}

function each(r: BinaryReader, what: string, f: (no: number, wt: WireType, r: BinaryReader) => void): void {
  try {
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      f(no, wt, r);
    }
  } catch (err) {
    if (err instanceof Error && err.name === 'ApiError') throw err;
    bad(`cannot parse ${what}: ${(err as Error).message}`);
  }
}

/** Whether undecodable bytes carry nothing: empty, or a message of zeros and empty messages. */
function emptyBytes(b: Uint8Array, depth = 0): boolean {
  if (b.length === 0) return true;
  if (depth > 8) return false;
  try {
    const r = new BinaryReader(b);
    while (r.pos < r.len) {
      const [, wt] = r.tag();
      if (wt === WireType.Varint) {
        if (r.uint64() !== 0n) return false;
      } else if (wt === WireType.LengthDelimited) {
        if (!emptyBytes(r.bytes(), depth + 1)) return false;
      } else return false;
    }
    return true;
  } catch {
    return false;
  }
}

function decodeMessage(bytes: Uint8Array, table: string, schemaName: string): Record<string, unknown> {
  const numbers = T[table];
  const fields = objectSchema[schemaName] ?? {};
  const out: Record<string, unknown> = {};
  each(new BinaryReader(bytes), table, (no, wt, r) => {
    const ref = numbers?.[no];
    if (ref === undefined) {
      let empty = true;
      if (wt === WireType.Varint) empty = r.uint64() === 0n;
      else if (wt === WireType.LengthDelimited) empty = emptyBytes(r.bytes());
      else r.skip(wt);
      if (!empty) out[`<proto field ${no}>`] = true;
      return;
    }
    if (typeof ref === 'object') {
      if (wt !== WireType.LengthDelimited) bad(`field ${no} of ${table} has wire type ${wt}`);
      Object.assign(out, decodeMessage(r.bytes(), ref.inline, schemaName));
      return;
    }
    const kind = fields[ref];
    if (!kind) bad(`kemu has no schema for ${schemaName}.${ref}`);
    const sub = CONTEXT[`${schemaName}.${ref}`];
    if (kind.k === 'list') {
      const list = (out[ref] as unknown[] | undefined) ?? [];
      list.push(readValue(r, wt, kind.of, sub, `${schemaName}.${ref}`));
      out[ref] = list;
    } else if (kind.k === 'map') {
      const m = (out[ref] as Record<string, unknown> | undefined) ?? {};
      if (wt !== WireType.LengthDelimited) bad(`map field ${ref} has wire type ${wt}`);
      let key = '';
      let value: unknown = zeroOf(kind.of);
      each(new BinaryReader(r.bytes()), `${ref} entry`, (n, w, rr) => {
        if (n === 1) key = rr.string();
        else if (n === 2) value = readValue(rr, w, kind.of, undefined, `${schemaName}.${ref}`);
        else rr.skip(w);
      });
      m[key] = value;
      out[ref] = m;
    } else {
      const v = readValue(r, wt, kind, sub, `${schemaName}.${ref}`);
      if (v === undefined) return;
      if (!POINTERS.has(`${schemaName}.${ref}`) && isZero(v)) return;
      out[ref] = v;
    }
  });
  return out;
}

function zeroOf(kind: FieldKind): unknown {
  return kind.k === 'string' ? '' : kind.k === 'bool' ? false : 0;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function want(wt: WireType, expected: WireType, field: string): void {
  if (wt !== expected) bad(`field ${field} has wire type ${wt}, want ${expected}`);
}

function readValue(r: BinaryReader, wt: WireType, kind: FieldKind, table: string | undefined, field: string): unknown {
  switch (kind.k) {
    case 'string':
      want(wt, WireType.LengthDelimited, field);
      return r.string();
    case 'bool':
      want(wt, WireType.Varint, field);
      return r.bool();
    case 'int32':
      want(wt, WireType.Varint, field);
      return r.int32();
    case 'int64':
      want(wt, WireType.Varint, field);
      return Number(r.int64());
    case 'time':
      want(wt, WireType.LengthDelimited, field);
      return readTime(r.bytes());
    case 'intOrString': {
      want(wt, WireType.LengthDelimited, field);
      let type = 0;
      let intVal = 0;
      let strVal = '';
      each(new BinaryReader(r.bytes()), 'IntOrString', (n, w, rr) => {
        if (n === 1) type = Number(rr.int64());
        else if (n === 2) intVal = rr.int32();
        else if (n === 3) strVal = rr.string();
        else rr.skip(w);
      });
      return type === 1 ? strVal : intVal;
    }
    case 'message':
      want(wt, WireType.LengthDelimited, field);
      return decodeMessage(r.bytes(), table ?? kind.ref, kind.ref);
    case 'map':
    case 'list':
      return bad(`nested collections are not in kemu's schema (${field})`);
  }
}

/** meta/v1 Time and MicroTime: {seconds, nanos}; the zero time is "unset". */
function readTime(b: Uint8Array): string | undefined {
  let seconds = 0;
  let nanos = 0;
  each(new BinaryReader(b), 'Time', (n, w, rr) => {
    if (n === 1) seconds = Number(rr.int64());
    else if (n === 2) nanos = rr.int32();
    else rr.skip(w);
  });
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().replace(/\.000Z$/, '');
  return nanos ? `${iso}.${String(Math.trunc(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** meta/v1 DeleteOptions, as typed clients send it with a delete. */
function decodeDeleteOptions(raw: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  each(new BinaryReader(raw), 'DeleteOptions', (n, w, r) => {
    if (n === 1 && w === WireType.Varint) out['gracePeriodSeconds'] = Number(r.int64());
    else if (n === 2 && w === WireType.LengthDelimited) {
      const pre: Record<string, string> = {};
      each(new BinaryReader(r.bytes()), 'Preconditions', (m, ww, rr) => {
        if (m === 1) pre['uid'] = rr.string();
        else if (m === 2) pre['resourceVersion'] = rr.string();
        else rr.skip(ww);
      });
      out['preconditions'] = pre;
    } else if (n === 3 && w === WireType.Varint) out['orphanDependents'] = r.bool();
    else if (n === 4 && w === WireType.LengthDelimited) out['propagationPolicy'] = r.string();
    else if (n === 5 && w === WireType.LengthDelimited) ((out['dryRun'] ??= []) as string[]).push(r.string());
    else r.skip(w);
  });
  return out;
}
