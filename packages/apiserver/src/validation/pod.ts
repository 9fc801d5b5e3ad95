import { FieldPath, fieldErrors, type FieldError, type ObjectMeta, type Pod, type PodSpec, type core } from '@kemu/api';
import { go, goQuote } from './go-format.js';
import { canonical, semanticEqual } from './semantic-equal.js';
import { validateIP } from './ip-errors.js';
import { parseIP } from './ip.js';
import {
  validateAnnotations,
  validateDNS1123Label,
  validateLabels,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateQualifiedName,
} from './meta.js';
import { isHTTPHeaderName, isQualifiedName, isValidLabelValue, isValidPortName, isValidPortNum, nameIsDNSSubdomain } from './names.js';
import { validatePortNumOrName, validateProtocol } from './service.js';

/** Kubernetes' Pod and PodSpec validation, for the fields kemu's schema has. */

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
const SYSTEM_POD_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized']);
const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

export function validateTaintEffect(effect: string, allowEmpty: boolean, p: FieldPath): FieldError[] {
  if (!allowEmpty && effect === '') return [fieldErrors.required(p)];
  return TAINT_EFFECTS.includes(effect) ? [] : [fieldErrors.notSupported(p, effect, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: readonly core.Toleration[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const tp = p.index(i);
    const key = t.key ?? '';
    const op = t.operator ?? '';
    const value = t.value ?? '';
    const effect = t.effect ?? '';
    if (key) errs.push(...validateQualifiedName(key, tp.child('key')));
    if (!key && op !== 'Exists') {
      errs.push(fieldErrors.invalid(tp.child('operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && effect !== 'NoExecute') {
      errs.push(fieldErrors.invalid(tp.child('effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal':
      case '': {
        const bad = isValidLabelValue(value);
        if (bad.length) errs.push(fieldErrors.invalid(tp.child('operator'), value, bad.join(';')));
        break;
      }
      case 'Exists':
        if (value) errs.push(fieldErrors.invalid(tp.child('operator'), value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(fieldErrors.notSupported(tp.child('operator'), op, TOLERATION_OPERATORS));
    }
    if (effect) errs.push(...validateTaintEffect(effect, true, tp.child('effect')));
  });
  return errs;
}

function validateContainerPorts(ports: readonly core.ContainerPort[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const pp = p.index(i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length) for (const m of msgs) errs.push(fieldErrors.invalid(pp.child('name'), port.name, m));
      else if (names.has(port.name)) errs.push(fieldErrors.duplicate(pp.child('name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(fieldErrors.required(pp.child('containerPort')));
    else for (const m of isValidPortNum(port.containerPort)) errs.push(fieldErrors.invalid(pp.child('containerPort'), port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(fieldErrors.invalid(pp.child('hostPort'), port.hostPort, m));
    errs.push(...validateProtocol(port.protocol, pp.child('protocol')));
  });
  return errs;
}

// Kubernetes' relaxed rule (RelaxedEnvironmentVariableValidation, on by default).
function validateEnv(env: readonly core.EnvVar[] | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((e, i) => {
    const np = p.index(i).child('name');
    const name = e.name ?? '';
    if (!name) {
      errs.push(fieldErrors.required(np));
    } else if ([...name].some((c) => c < ' ' || c > '~' || c === '=')) {
      errs.push(fieldErrors.invalid(np, name, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
    }
    const from = e.valueFrom;
    if (from) {
      const vp = p.index(i).child('valueFrom');
      if (e.value) errs.push(fieldErrors.invalid(vp, '', 'may not be specified when `value` is not empty'));
      if (!from.fieldRef) {
        errs.push(fieldErrors.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      } else {
        errs.push(...validateEnvFieldRef(from.fieldRef, vp.child('fieldRef')));
      }
    }
  });
  return errs;
}

// The downward API paths an environment variable may read (validEnvDownwardAPIFieldPathExpressions).
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function validateEnvFieldRef(ref: core.ObjectFieldSelector, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const path = ref.fieldPath ?? '';
  if (!ref.apiVersion) errs.push(fieldErrors.required(p.child('apiVersion')));
  else if (ref.apiVersion !== 'v1') errs.push(fieldErrors.invalid(p.child('apiVersion'), ref.apiVersion, 'unsupported API version'));
  if (!path) {
    errs.push(fieldErrors.required(p.child('fieldPath')));
    return errs;
  }
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (subscript) {
    const key = subscript[2] ?? '';
    for (const m of isQualifiedName(key)) errs.push(fieldErrors.invalid(p.child('fieldPath'), key, m));
    return errs;
  }
  if (!ENV_FIELD_PATHS.includes(path)) errs.push(fieldErrors.notSupported(p.child('fieldPath'), path, ENV_FIELD_PATHS));
  return errs;
}

function validateProbe(probe: core.Probe | undefined, kind: 'liveness' | 'readiness' | 'startup', p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!probe) return errs;
  let handlers = 0;
  const handler = (name: 'exec' | 'httpGet' | 'tcpSocket', check: () => FieldError[]): void => {
    if (handlers > 0) {
      errs.push(fieldErrors.forbidden(p.child(name), 'may not specify more than 1 handler type'));
      return;
    }
    handlers++;
    errs.push(...check());
  };
  if (probe.exec) {
    const exec = probe.exec;
    handler('exec', () => ((exec.command ?? []).length === 0 ? [fieldErrors.required(p.child('exec', 'command'))] : []));
  }
  if (probe.httpGet) {
    const http = probe.httpGet;
    handler('httpGet', () => {
      const hp = p.child('httpGet');
      const out: FieldError[] = [];
      if (!http.path) out.push(fieldErrors.required(hp.child('path')));
      out.push(...validatePortNumOrName(http.port, hp.child('port')));
      if (!HTTP_SCHEMES.includes(http.scheme ?? '')) out.push(fieldErrors.notSupported(hp.child('scheme'), http.scheme ?? '', HTTP_SCHEMES));
      for (const h of http.httpHeaders ?? []) for (const m of isHTTPHeaderName(h.name ?? '')) out.push(fieldErrors.invalid(hp.child('httpHeaders'), h.name ?? '', m));
      return out;
    });
  }
  if (probe.tcpSocket) {
    const tcp = probe.tcpSocket;
    handler('tcpSocket', () => validatePortNumOrName(tcp.port, p.child('tcpSocket', 'port')));
  }
  if (handlers === 0) errs.push(fieldErrors.required(p, 'must specify a handler type'));
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    errs.push(...validateNonnegative(probe[f] ?? 0, p.child(f)));
  }
  const grace = probe.terminationGracePeriodSeconds;
  if (grace !== undefined && grace <= 0) errs.push(fieldErrors.invalid(p.child('terminationGracePeriodSeconds'), grace, 'must be greater than 0'));
  if (kind !== 'readiness' && (probe.successThreshold ?? 0) !== 1) {
    errs.push(fieldErrors.invalid(p.child('successThreshold'), probe.successThreshold ?? 0, 'must be 1'));
  }
  if (kind === 'readiness' && grace !== undefined) {
    errs.push(fieldErrors.invalid(p.child('terminationGracePeriodSeconds'), grace, 'must not be set for readinessProbes'));
  }
  return errs;
}

function validateContainers(containers: readonly core.Container[] | undefined, p: FieldPath): FieldError[] {
  const list = containers ?? [];
  if (list.length === 0) return [fieldErrors.required(p)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const cp = p.index(i);
    const name = c.name ?? '';
    if (!name) errs.push(fieldErrors.required(cp.child('name')));
    else errs.push(...validateDNS1123Label(name, cp.child('name')));
    if (!c.image) errs.push(fieldErrors.required(cp.child('image')));
    errs.push(...validateContainerPorts(c.ports, cp.child('ports')));
    errs.push(...validateEnv(c.env, cp.child('env')));
    const pull = c.imagePullPolicy ?? '';
    if (!pull) errs.push(fieldErrors.required(cp.child('imagePullPolicy')));
    else if (!PULL_POLICIES.includes(pull)) errs.push(fieldErrors.notSupported(cp.child('imagePullPolicy'), pull, [...PULL_POLICIES].sort()));
    if (names.has(name)) errs.push(fieldErrors.duplicate(cp.child('name'), name));
    else names.add(name);
    errs.push(...validateProbe(c.livenessProbe, 'liveness', cp.child('livenessProbe')));
    errs.push(...validateProbe(c.readinessProbe, 'readiness', cp.child('readinessProbe')));
    errs.push(...validateProbe(c.startupProbe, 'startup', cp.child('startupProbe')));
  });
  // Host ports may not collide across the pod's containers.
  const hostPorts = new Set<string>();
  list.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ''}//${port.hostPort}`;
      if (hostPorts.has(key)) errs.push(fieldErrors.duplicate(p.index(ci).child('ports').index(pi).child('hostPort'), key));
      else hostPorts.add(key);
    });
  });
  return errs;
}

export function validatePodSpec(spec: PodSpec | undefined, p: FieldPath): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (s.terminationGracePeriodSeconds === undefined) errs.push(fieldErrors.required(p.child('terminationGracePeriodSeconds')));
  errs.push(...validateContainers(s.containers, p.child('containers')));
  const rp = s.restartPolicy ?? '';
  if (!rp) errs.push(fieldErrors.required(p.child('restartPolicy')));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(fieldErrors.notSupported(p.child('restartPolicy'), rp, RESTART_POLICIES));
  errs.push(...validateLabels(s.nodeSelector, p.child('nodeSelector')));
  if (s.nodeName) for (const m of nameIsDNSSubdomain(s.nodeName, false)) errs.push(fieldErrors.invalid(p.child('nodeName'), s.nodeName, m));
  if (s.hostname) errs.push(...validateDNS1123Label(s.hostname, p.child('hostname')));
  if (s.subdomain) errs.push(...validateDNS1123Label(s.subdomain, p.child('subdomain')));
  if ((s.tolerations ?? []).length > 0) errs.push(...validateTolerations(s.tolerations, p.child('tolerations')));
  return errs;
}

function validatePodSpecificAnnotations(annotations: Readonly<Record<string, string>> | undefined, spec: PodSpec | undefined, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const a = annotations ?? {};
  if (Object.hasOwn(a, MIRROR_POD_ANNOTATION) && !spec?.nodeName) {
    errs.push(fieldErrors.invalid(p.key(MIRROR_POD_ANNOTATION), a[MIRROR_POD_ANNOTATION], 'must set spec.nodeName if mirror pod annotation is set'));
  }
  if (Object.hasOwn(a, DELETION_COST_ANNOTATION)) {
    const v = a[DELETION_COST_ANNOTATION]!;
    const n = Number(v);
    if (!/^[+-]?[0-9]+$/.test(v) || n < -(2 ** 31) || n >= 2 ** 31) {
      errs.push(fieldErrors.invalid(p.key(DELETION_COST_ANNOTATION), v, 'must be a 32bit integer'));
    }
  }
  return errs;
}

/** A pod template: its labels and annotations (at `<p>.labels`, Kubernetes' path) and spec. */
export function validatePodTemplateSpec(t: core.PodTemplateSpec | undefined, p: FieldPath): FieldError[] {
  const errs = validateLabels(t?.metadata?.labels, p.child('labels'));
  errs.push(...validateAnnotations(t?.metadata?.annotations, p.child('annotations')));
  errs.push(...validatePodSpecificAnnotations(t?.metadata?.annotations, t?.spec, p.child('annotations')));
  errs.push(...validatePodSpec(t?.spec, p.child('spec')));
  return errs;
}

const podRules = { namespaced: true, nameFn: nameIsDNSSubdomain, kubeFinalizers: true } as const;

function validatePodMetadataAndSpec(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, podRules);
  errs.push(...validatePodSpecificAnnotations(pod.metadata?.annotations, pod.spec, FieldPath.root('metadata', 'annotations')));
  errs.push(...validatePodSpec(pod.spec, FieldPath.root('spec')));
  (pod.spec?.containers ?? []).forEach((c, i) => {
    const image = c.image ?? '';
    if (image !== image.trim()) {
      errs.push(fieldErrors.invalid(FieldPath.root('spec', 'containers').index(i).child('image'), image, 'must not have leading or trailing whitespace'));
    }
  });
  return errs;
}

export function validatePod(pod: Pod): FieldError[] {
  return validatePodMetadataAndSpec(pod);
}

function validateAnnotationUpdates(meta: ObjectMeta | undefined, old: ObjectMeta | undefined): FieldError[] {
  const p = FieldPath.root('metadata', 'annotations');
  const a = meta?.annotations ?? {};
  const o = old?.annotations ?? {};
  const errs: FieldError[] = [];
  if (Object.hasOwn(o, MIRROR_POD_ANNOTATION) && a[MIRROR_POD_ANNOTATION] !== o[MIRROR_POD_ANNOTATION]) {
    errs.push(fieldErrors.forbidden(p.key(MIRROR_POD_ANNOTATION), 'may not remove or update mirror pod annotation'));
  }
  if (!Object.hasOwn(o, MIRROR_POD_ANNOTATION) && Object.hasOwn(a, MIRROR_POD_ANNOTATION)) {
    errs.push(fieldErrors.forbidden(p.key(MIRROR_POD_ANNOTATION), 'may not add mirror pod annotation'));
  }
  return errs;
}

const sameToleration = (a: core.Toleration, b: core.Toleration): boolean =>
  (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');


/**
 * The top-level spec fields that differ, laid out like the go-cmp diff Kubernetes
 * appends here (field values as JSON, not Go syntax).
 */
function specDiff(old: PodSpec, munged: PodSpec): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(munged)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    const a = old[k as keyof PodSpec];
    const b = munged[k as keyof PodSpec];
    if (semanticEqual(a, b)) continue;
    const name = k.charAt(0).toUpperCase() + k.slice(1);
    lines.push(`- \t${name}: ${canonical(a)},`, `+ \t${name}: ${canonical(b)},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, true);
  errs.push(...validatePodMetadataAndSpec(pod));
  errs.push(...validateAnnotationUpdates(pod.metadata, old.metadata));
  const specPath = FieldPath.root('spec');
  const containers = pod.spec?.containers ?? [];
  const oldContainers = old.spec?.containers ?? [];
  if (containers.length !== oldContainers.length) {
    errs.push(fieldErrors.forbidden(specPath.child('containers'), 'pod updates may not add or remove containers'));
    return errs;
  }
  containers.forEach((c, i) => {
    const image = c.image ?? '';
    const ip = specPath.child('containers').index(i).child('image');
    if (!image) errs.push(fieldErrors.required(ip));
    if (image.trim() !== image) errs.push(fieldErrors.invalid(ip, image, 'must not have leading or trailing whitespace'));
  });
  const tolerations = pod.spec?.tolerations ?? [];
  for (const t of old.spec?.tolerations ?? []) {
    if (!tolerations.some((n) => sameToleration(t, n))) {
      errs.push(fieldErrors.forbidden(specPath.child('tolerations'), 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  if (!errs.some((e) => e.field === 'spec.tolerations')) errs.push(...validateTolerations(tolerations, specPath.child('tolerations')));

  const oldSpec = old.spec ?? {};
  const munged: PodSpec = structuredClone(pod.spec ?? {});
  munged.containers = (munged.containers ?? []).map((c, i) => ({ ...c, image: oldContainers[i]?.image }));
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(
      fieldErrors.forbidden(specPath, `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(oldSpec, munged)}`),
    );
  }
  return errs;
}

export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, true);
  errs.push(...validateAnnotationUpdates(pod.metadata, old.metadata));
  // Kubernetes reports condition types under "metadata" (sic).
  (pod.status?.conditions ?? []).forEach((c, i) => {
    if (SYSTEM_POD_CONDITIONS.has(c.type ?? '')) return;
    for (const m of isQualifiedName(c.type ?? '')) errs.push(fieldErrors.invalid(FieldPath.root('metadata', 'conditions').index(i).child('Type'), c.type ?? '', m));
  });
  const status = FieldPath.root('status');
  if ((pod.spec?.nodeName ?? '') !== (old.spec?.nodeName ?? '')) errs.push(fieldErrors.forbidden(status.child('nodeName'), 'may not be changed directly'));
  const rp = old.spec?.restartPolicy ?? '';
  if (rp !== 'Always') {
    (old.status?.containerStatuses ?? []).forEach((o, i) => {
      const term = o.state?.terminated;
      if (!term) return;
      if ((term.exitCode ?? 0) !== 0 && rp === 'OnFailure') return;
      for (const n of pod.status?.containerStatuses ?? []) {
        if (n.name === o.name && !n.state?.terminated) {
          errs.push(fieldErrors.forbidden(status.child('containerStatuses').index(i).child('state'), 'may not be transitioned to non-terminated state'));
        }
      }
    });
  }
  const podIPs = pod.status?.podIPs ?? [];
  const ipsPath = status.child('podIPs');
  podIPs.forEach((ip, i) => errs.push(...validateIP(ipsPath.index(i), ip.ip ?? '')));
  if (podIPs.length > 1) {
    const families = podIPs.map((ip) => parseIP(ip.ip ?? '')?.family);
    if (families.includes(undefined) || new Set(families).size !== 2 || podIPs.length > 2) {
      const text = `[]core.PodIP{${podIPs.map((ip) => `core.PodIP{IP:${goQuote(ip.ip ?? '')}}`).join(', ')}}`;
      errs.push(fieldErrors.invalid(ipsPath, go(text), 'may specify no more than one IP for each IP family'));
    }
    const seen = new Set<string>();
    podIPs.forEach((ip, i) => {
      if (seen.has(ip.ip ?? '')) errs.push(fieldErrors.duplicate(ipsPath.index(i), go(`core.PodIP{IP:${goQuote(ip.ip ?? '')}}`)));
      seen.add(ip.ip ?? '');
    });
  }
  return errs;
}
