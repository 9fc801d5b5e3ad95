import { FieldPath, fieldErrors, type FieldError, type Service, type ServicePort, type core } from '@kemu/api';
import { go, goServicePortKey, goStrings } from './go-format.js';
import { validateCIDR, validateIP, validateNonSpecialIP } from './ip-errors.js';
import { parseIP } from './ip.js';
import {
  FIELD_IMMUTABLE,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateQualifiedName,
} from './meta.js';
import { isValidPortName, isValidPortNum, nameIsDNS1035Label } from './names.js';

/** Kubernetes' Service validation (pkg/apis/core/validation ValidateService*). */

export const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const LB_IP_MODES = ['Proxy', 'VIP'];
const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
const TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
const TOPOLOGY_HINTS = 'service.kubernetes.io/topology-aware-hints';
const LB_SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

const spec = FieldPath.root('spec');

export const isHeadless = (s: Service): boolean => s.spec?.clusterIPs?.length === 1 && s.spec.clusterIPs[0] === 'None';

export const externallyAccessible = (s: Service): boolean => {
  const t = s.spec?.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (s.spec?.externalIPs?.length ?? 0) > 0);
};

export const needsHealthCheck = (s: Service): boolean => s.spec?.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local';

/** A port number or an IANA service name, as in targetPort and probe ports. */
export function validatePortNumOrName(port: number | string | undefined, p: FieldPath): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => fieldErrors.invalid(p, port, m));
  const n = port ?? 0;
  return isValidPortNum(n).map((m) => fieldErrors.invalid(p, n, m));
}

export function validateService(svc: Service): FieldError[] {
  const s = svc.spec ?? {};
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, nameFn: nameIsDNS1035Label, kubeFinalizers: true });
  const ann = svc.metadata?.annotations ?? {};
  if (Object.hasOwn(ann, TOPOLOGY_MODE) && Object.hasOwn(ann, TOPOLOGY_HINTS) && ann[TOPOLOGY_MODE] !== ann[TOPOLOGY_HINTS]) {
    errs.push(
      fieldErrors.invalid(
        FieldPath.root('metadata', 'annotations').key(TOPOLOGY_MODE),
        ann[TOPOLOGY_MODE],
        `must match annotations[${TOPOLOGY_HINTS}] when both are specified`,
      ),
    );
  }
  const ports = s.ports ?? [];
  const headless = isHeadless(svc);
  if (ports.length === 0 && !headless && s.type !== 'ExternalName') errs.push(fieldErrors.required(spec.child('ports')));

  switch (s.type) {
    case 'LoadBalancer':
      if (headless) errs.push(fieldErrors.invalid(spec.child('clusterIPs').index(0), 'None', "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(fieldErrors.invalid(spec.child('clusterIPs').index(0), 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if ((s.clusterIPs?.length ?? 0) > 0) errs.push(fieldErrors.forbidden(spec.child('clusterIPs'), 'may not be set for ExternalName services'));
      if ((s.ipFamilies?.length ?? 0) > 0) errs.push(fieldErrors.forbidden(spec.child('ipFamilies'), 'may not be set for ExternalName services'));
      if (s.ipFamilyPolicy !== undefined) {
        errs.push(fieldErrors.forbidden(spec.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
      }
      // The CNAME may end in '.' to mark it fully qualified.
      const cname = (s.externalName ?? '').replace(/\.$/, '');
      if (cname) errs.push(...validateDNS1123Subdomain(cname, spec.child('externalName')));
      else errs.push(fieldErrors.required(spec.child('externalName')));
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((sp, i) => errs.push(...validateServicePort(sp, ports.length > 1, names, spec.child('ports').index(i))));

  if (s.selector !== undefined) errs.push(...validateLabels(s.selector, spec.child('selector')));

  if (!s.sessionAffinity) errs.push(fieldErrors.required(spec.child('sessionAffinity')));
  else if (!AFFINITIES.includes(s.sessionAffinity)) errs.push(fieldErrors.notSupported(spec.child('sessionAffinity'), s.sessionAffinity, AFFINITIES));
  if (s.sessionAffinity === 'ClientIP') errs.push(...validateClientIPAffinityConfig(s.sessionAffinityConfig, spec.child('sessionAffinityConfig')));
  else if (s.sessionAffinity === 'None' && s.sessionAffinityConfig !== undefined) {
    errs.push(fieldErrors.forbidden(spec.child('sessionAffinityConfig'), 'must not be set when session affinity is None'));
  }

  errs.push(...validateClusterIPsRelatedFields(svc));

  (s.externalIPs ?? []).forEach((ip, i) => {
    const p = spec.child('externalIPs').index(i);
    const bad = validateIP(p, ip);
    errs.push(...(bad.length ? bad : validateNonSpecialIP(ip, p)));
  });

  if (!s.type) errs.push(fieldErrors.required(spec.child('type')));
  else if (!SERVICE_TYPES.includes(s.type)) errs.push(fieldErrors.notSupported(spec.child('type'), s.type, SERVICE_TYPES));

  if (s.type === 'ClusterIP') {
    ports.forEach((sp, i) => {
      if (sp.nodePort) errs.push(fieldErrors.forbidden(spec.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }

  const nodePorts = new Set<string>();
  ports.forEach((sp, i) => {
    if (!sp.nodePort) return;
    const key = `${sp.protocol ?? ''}/${sp.nodePort}`;
    if (nodePorts.has(key)) errs.push(fieldErrors.duplicate(spec.child('ports').index(i).child('nodePort'), sp.nodePort));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((sp, i) => {
    const key = `${sp.protocol ?? ''}/${sp.port ?? 0}`;
    if (portKeys.has(key)) errs.push(fieldErrors.duplicate(spec.child('ports').index(i), go(goServicePortKey(sp.protocol ?? '', sp.port ?? 0))));
    portKeys.add(key);
  });

  if ((s.loadBalancerSourceRanges?.length ?? 0) > 0) {
    // Kubernetes' own capitalisation of this path.
    const p = spec.child('LoadBalancerSourceRanges');
    if (s.type !== 'LoadBalancer') errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    s.loadBalancerSourceRanges!.forEach((r, i) => errs.push(...validateCIDR(p.index(i), r.trim())));
  } else if (Object.hasOwn(ann, LB_SOURCE_RANGES_ANNOTATION)) {
    const p = FieldPath.root('metadata', 'annotations').key(LB_SOURCE_RANGES_ANNOTATION);
    if (s.type !== 'LoadBalancer') errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    const val = ann[LB_SOURCE_RANGES_ANNOTATION]!.trim();
    if (val) for (const r of val.split(',')) errs.push(...validateCIDR(p, r.trim()));
  }

  if (s.allocateLoadBalancerNodePorts !== undefined && s.type !== 'LoadBalancer') {
    errs.push(fieldErrors.forbidden(spec.child('allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined) {
    // Kubernetes reports this one without the "spec." prefix.
    errs.push(fieldErrors.required(FieldPath.root('allocateLoadBalancerNodePorts')));
  }

  errs.push(...validateLoadBalancerClass(undefined, svc));
  errs.push(...validateExternalTrafficPolicy(svc));
  if (s.internalTrafficPolicy === undefined) {
    if (s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP') errs.push(fieldErrors.required(spec.child('internalTrafficPolicy')));
  } else if (!TRAFFIC_POLICIES.includes(s.internalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported(spec.child('internalTrafficPolicy'), s.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return errs;
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) {
    errs.push(fieldErrors.required(p.child('name')));
  } else if (sp.name) {
    errs.push(...validateDNS1123Label(sp.name, p.child('name')));
    if (names.has(sp.name)) errs.push(fieldErrors.duplicate(p.child('name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port ?? 0)) errs.push(fieldErrors.invalid(p.child('port'), sp.port ?? 0, m));
  errs.push(...validateProtocol(sp.protocol, p.child('protocol')));
  errs.push(...validatePortNumOrName(sp.targetPort, p.child('targetPort')));
  if (sp.appProtocol !== undefined) errs.push(...validateQualifiedName(sp.appProtocol, p.child('appProtocol')));
  return errs;
}

export function validateProtocol(protocol: string | undefined, p: FieldPath): FieldError[] {
  if (!protocol) return [fieldErrors.required(p)];
  if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(protocol)) return [fieldErrors.notSupported(p, protocol, SUPPORTED_PROTOCOLS)];
  return [];
}

function validateClientIPAffinityConfig(config: core.SessionAffinityConfig | undefined, p: FieldPath): FieldError[] {
  const detail = 'when session affinity type is ClientIP';
  if (!config) return [fieldErrors.required(p, detail)];
  if (!config.clientIP) return [fieldErrors.required(p.child('clientIP'), detail)];
  const t = config.clientIP.timeoutSeconds;
  const tp = p.child('clientIP', 'timeoutSeconds');
  if (t === undefined) return [fieldErrors.required(tp, detail)];
  if (t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [fieldErrors.invalid(tp, t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`)];
  }
  return [];
}

function validateExternalTrafficPolicy(svc: Service): FieldError[] {
  const s = svc.spec ?? {};
  const errs: FieldError[] = [];
  const etp = s.externalTrafficPolicy ?? '';
  if (!externallyAccessible(svc)) {
    if (etp) errs.push(fieldErrors.invalid(spec.child('externalTrafficPolicy'), etp, 'may only be set for externally-accessible services'));
  } else if (!etp) {
    errs.push(fieldErrors.required(spec.child('externalTrafficPolicy')));
  } else if (!TRAFFIC_POLICIES.includes(etp)) {
    errs.push(fieldErrors.notSupported(spec.child('externalTrafficPolicy'), etp, TRAFFIC_POLICIES));
  }
  const hc = s.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(svc)) {
    if (hc) {
      errs.push(
        fieldErrors.invalid(spec.child('healthCheckNodePort'), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"),
      );
    }
  } else if (hc) {
    // Unset is fine: validation runs before allocation here (kube-apiserver allocates
    // first), and the allocator fills it in the same Txn or answers "range is full".
    for (const m of isValidPortNum(hc)) errs.push(fieldErrors.invalid(spec.child('healthCheckNodePort'), hc, m));
  }
  return errs;
}

function validateLoadBalancerClass(old: Service | undefined, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const p = spec.child('loadBalancerClass');
  const cls = svc.spec?.loadBalancerClass;
  if (old && old.spec?.type === 'LoadBalancer' && svc.spec?.type === 'LoadBalancer' && old.spec.loadBalancerClass !== cls) {
    errs.push(fieldErrors.invalid(p, cls ?? null, 'may not change once set'));
  }
  if (svc.spec?.type === 'LoadBalancer') {
    if (cls !== undefined) errs.push(...validateQualifiedName(cls, p));
  } else if (cls !== undefined) {
    errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

/** spec.clusterIP(s), ipFamilies and ipFamilyPolicy, standalone and against each other. */
export function validateClusterIPsRelatedFields(svc: Service): FieldError[] {
  const s = svc.spec ?? {};
  if (s.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = spec.child('clusterIPs');
  const ips = s.clusterIPs ?? [];
  const ipsValue = go(goStrings(s.clusterIPs));
  if (s.clusterIP) {
    if (ips.length === 0) errs.push(fieldErrors.required(ipsPath));
    else if (ips[0] !== s.clusterIP) errs.push(fieldErrors.invalid(ipsPath, ipsValue, 'first value must match `clusterIP`'));
  } else if (ips.length !== 0) {
    errs.push(fieldErrors.invalid(ipsPath, ipsValue, 'must be empty when `clusterIP` is not specified'));
  }

  const seen = new Set<string>();
  (s.ipFamilies ?? []).forEach((f, i) => {
    const p = spec.child('ipFamilies').index(i);
    if (!IP_FAMILIES.includes(f)) errs.push(fieldErrors.notSupported(p, f, IP_FAMILIES));
    if (seen.has(f)) errs.push(fieldErrors.duplicate(p, f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(s.ipFamilyPolicy)) {
    errs.push(fieldErrors.notSupported(spec.child('ipFamilyPolicy'), s.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }

  let invalidIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        invalidIPs = true;
        errs.push(fieldErrors.invalid(ipsPath, ipsValue, "'None' must be the first and only value"));
      }
      return;
    }
    const bad = validateIP(ipsPath.index(i), ip);
    if (bad.length) invalidIPs = true;
    errs.push(...bad);
  });
  if (ips.length > 2) errs.push(fieldErrors.invalid(ipsPath, ipsValue, 'may only hold up to 2 values'));
  // Further checks on bad or misplaced values would only confuse.
  if (invalidIPs) return errs;

  if (ips.length > 1) {
    const families = new Set(ips.map((ip) => parseIP(ip)?.family));
    if (!(families.has('IPv4') && families.has('IPv6'))) {
      errs.push(fieldErrors.invalid(ipsPath, ipsValue, 'may specify no more than one IP for each IP family'));
    }
  }
  if (!isHeadless(svc) && ips.length > 0 && (s.ipFamilies?.length ?? 0) > 0) {
    const fams = s.ipFamilies!;
    ips.forEach((ip, i) => {
      if (i > fams.length - 1) return;
      const v6 = parseIP(ip)?.family === 'IPv6';
      if (fams[i] === 'IPv4' && v6) errs.push(fieldErrors.invalid(ipsPath.index(i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === 'IPv6' && !v6) errs.push(fieldErrors.invalid(ipsPath.index(i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateUpgradeDowngradeClusterIPs(old: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return errs;
  if (isHeadless(old) && isHeadless(svc)) return errs;
  const before = old.spec?.clusterIPs ?? [];
  const after = svc.spec?.clusterIPs ?? [];
  const value = go(goStrings(svc.spec?.clusterIPs));
  const p0 = spec.child('clusterIPs').index(0);
  if (before.length === after.length) {
    before.forEach((ip, i) => {
      if (ip !== after[i]) errs.push(fieldErrors.invalid(spec.child('clusterIPs').index(i), value, 'may not change once set'));
    });
  } else if (before.length > after.length) {
    if (after.length === 0) errs.push(fieldErrors.invalid(p0, value, 'primary clusterIP can not be unset'));
    if (before.length > 0 && after.length > 0 && after[0] !== before[0]) errs.push(fieldErrors.invalid(p0, value, 'may not change once set'));
    if (after.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        fieldErrors.invalid(spec.child('ipFamilyPolicy'), svc.spec?.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"),
      );
    }
  } else if (before.length > 0 && after[0] !== before[0]) {
    errs.push(fieldErrors.invalid(p0, value, 'may not change once set'));
  }
  return errs;
}

// Kubernetes reports some of these with the clusterIPs as the value; kept as it does.
function validateUpgradeDowngradeIPFamilies(old: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return errs;
  if (isHeadless(old) !== isHeadless(svc) || isHeadless(svc)) return errs;
  const before = old.spec?.ipFamilies ?? [];
  const after = svc.spec?.ipFamilies ?? [];
  const p0 = spec.child('ipFamilies').index(0);
  const families = go(goStrings(svc.spec?.ipFamilies));
  const ips = go(goStrings(svc.spec?.clusterIPs));
  if (before.length === after.length) {
    before.forEach((f, i) => {
      if (f !== after[i]) errs.push(fieldErrors.invalid(p0, families, 'may not change once set'));
    });
  } else if (before.length > after.length) {
    if ((svc.spec?.clusterIPs?.length ?? 0) === 0) errs.push(fieldErrors.invalid(p0, families, 'primary ipFamily can not be unset'));
    if (after.length > 0 && after[0] !== before[0]) errs.push(fieldErrors.invalid(p0, ips, 'may not change once set'));
    if (after.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        fieldErrors.invalid(spec.child('ipFamilyPolicy'), svc.spec?.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"),
      );
    }
  } else if (before.length > 0 && after.length > 0 && after[0] !== before[0]) {
    errs.push(fieldErrors.invalid(p0, ips, 'may not change once set'));
  }
  return errs;
}

export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata, true);
  errs.push(...validateUpgradeDowngradeClusterIPs(old, svc));
  errs.push(...validateUpgradeDowngradeIPFamilies(old, svc));
  errs.push(...validateLoadBalancerClass(old, svc));
  if (needsHealthCheck(old) && needsHealthCheck(svc) && (svc.spec?.healthCheckNodePort ?? 0) !== (old.spec?.healthCheckNodePort ?? 0)) {
    errs.push(fieldErrors.forbidden(spec.child('healthCheckNodePort'), FIELD_IMMUTABLE));
  }
  errs.push(...validateService(svc));
  return errs;
}

export function validateServiceStatusUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata, true);
  const ingPath = FieldPath.root('status', 'loadBalancer', 'ingress');
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (svc.spec?.type !== 'LoadBalancer' && ingress.length > 0) {
    errs.push(fieldErrors.forbidden(ingPath, "may only be used when `spec.type` is 'LoadBalancer'"));
    return errs;
  }
  ingress.forEach((ing, i) => {
    const p = ingPath.index(i);
    if (ing.ip) errs.push(...validateIP(p.child('ip'), ing.ip));
    if (ing.ipMode === undefined) {
      if (ing.ip) errs.push(fieldErrors.required(p.child('ipMode'), 'must be specified when `ip` is set'));
    } else if (!ing.ip) {
      errs.push(fieldErrors.forbidden(p.child('ipMode'), 'may not be specified when `ip` is not set'));
    } else if (!LB_IP_MODES.includes(ing.ipMode)) {
      errs.push(fieldErrors.notSupported(p.child('ipMode'), ing.ipMode, LB_IP_MODES));
    }
    if (ing.hostname) {
      errs.push(...validateDNS1123Subdomain(ing.hostname, p.child('hostname')));
      if (parseIP(ing.hostname)) errs.push(fieldErrors.invalid(p.child('hostname'), ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

