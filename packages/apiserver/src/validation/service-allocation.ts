import { FieldPath, fieldErrors, type FieldError, type Service } from '@kemu/api';
import { go, goStrings } from './go-format.js';
import { formatIP, isAllocatableIn, parseCIDR, parseIP, type CIDR, type IPFamily } from './ip.js';
import type { ValidationOptions } from './options.js';
import { validateClusterIPsRelatedFields } from './service.js';

/**
 * What kube-apiserver's Service allocator checks before validation runs: IP family
 * fields (initialised here, as the allocator does) and user-chosen ClusterIPs and node
 * ports against the configured ranges. It reports the first failing batch only.
 */

const spec = FieldPath.root('spec');

export function parseServiceCIDR(text: string): CIDR {
  const cidr = parseCIDR(text);
  if (!cidr) throw new Error(`validation: invalid service CIDR ${JSON.stringify(text)}`);
  return cidr;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b![i]);

/**
 * Sets ipFamilyPolicy and ipFamilies the way kube-apiserver does on create (`old`
 * undefined) and update, for a cluster serving one IP family; returns the errors
 * Kubernetes reports from that step. Repeating it on its own output changes nothing.
 */
export function initServiceIPFamilies(svc: Service, old: Service | undefined, clusterFamily: IPFamily): FieldError[] {
  const s = (svc.spec ??= {});
  if (s.type === 'ExternalName') return [];
  if (
    old &&
    s.ipFamilyPolicy === 'PreferDualStack' &&
    old.spec?.ipFamilyPolicy === 'PreferDualStack' &&
    s.clusterIP === old.spec.clusterIP &&
    sameList(s.clusterIPs, old.spec.clusterIPs) &&
    sameList(s.ipFamilies, old.spec.ipFamilies)
  ) {
    return [];
  }
  if (s.ipFamilyPolicy === undefined) {
    if (old?.spec?.ipFamilyPolicy !== undefined) s.ipFamilyPolicy = old.spec.ipFamilyPolicy;
    else if (s.clusterIP === 'None' && Object.keys(s.selector ?? {}).length === 0) s.ipFamilyPolicy = 'RequireDualStack';
    else s.ipFamilyPolicy = 'SingleStack';
  }
  const pre = validateClusterIPsRelatedFields(svc);
  if (pre.length) return pre;

  const errs: FieldError[] = [];
  const policy = s.ipFamilyPolicy;
  if (old) {
    if (policy === 'SingleStack') {
      if (s.clusterIP === old.spec?.clusterIP && sameList(s.clusterIPs, old.spec?.clusterIPs) && (s.clusterIPs?.length ?? 0) > 1) {
        s.clusterIPs = s.clusterIPs!.slice(0, 1);
      }
      if (sameList(s.ipFamilies, old.spec?.ipFamilies) && (s.ipFamilies?.length ?? 0) > 1) s.ipFamilies = s.ipFamilies!.slice(0, 1);
    } else {
      const reduced = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
        (a?.length ?? 0) === 1 && (b?.length ?? 0) === 2;
      if (reduced(s.clusterIPs, old.spec?.clusterIPs)) {
        errs.push(fieldErrors.invalid(spec.child('ipFamilyPolicy'), policy, "must be 'SingleStack' to release the secondary cluster IP"));
      }
      if (reduced(s.ipFamilies, old.spec?.ipFamilies)) {
        errs.push(fieldErrors.invalid(spec.child('ipFamilyPolicy'), policy, "must be 'SingleStack' to release the secondary IP family"));
      }
    }
  }
  if (policy === 'SingleStack') {
    if (s.clusterIPs?.length === 2) {
      errs.push(
        fieldErrors.invalid(spec.child('ipFamilyPolicy'), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"),
      );
    }
    if (s.ipFamilies?.length === 2) {
      errs.push(
        fieldErrors.invalid(spec.child('ipFamilyPolicy'), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"),
      );
    }
  }
  const ips = s.clusterIPs ?? [];
  for (let i = 0; i < ips.length; i++) {
    if (ips[i] === 'None') break;
    if (i < (s.ipFamilies?.length ?? 0)) continue;
    const fam = parseIP(ips[i]!)!.family;
    if (fam !== clusterFamily) {
      errs.push(fieldErrors.invalid(spec.child('clusterIPs').index(i), go(goStrings(s.clusterIPs)), `${fam} is not configured on this cluster`));
    } else {
      s.ipFamilies = [...(s.ipFamilies ?? []), fam];
    }
  }
  if (errs.length) return errs;

  // Headless without a selector: any families are allowed, even on a single-stack cluster.
  if (s.clusterIP === 'None' && Object.keys(s.selector ?? {}).length === 0) {
    if ((s.ipFamilies?.length ?? 0) === 0) s.ipFamilies = [clusterFamily];
    if (s.ipFamilies!.length < 2 && policy !== 'SingleStack') s.ipFamilies = [...s.ipFamilies!, s.ipFamilies![0] === 'IPv4' ? 'IPv6' : 'IPv4'];
    return [];
  }
  if (policy === 'RequireDualStack') {
    errs.push(fieldErrors.invalid(spec.child('ipFamilyPolicy'), policy, 'this cluster is not configured for dual-stack services'));
  }
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (f !== clusterFamily) errs.push(fieldErrors.invalid(spec.child('ipFamilies').index(i), f, 'not configured on this cluster'));
  });
  if (errs.length) return errs;
  if ((s.ipFamilies?.length ?? 0) === 0) s.ipFamilies = [clusterFamily];
  return [];
}

const needsNodePorts = (s: Service): boolean => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer';

/**
 * The allocator's errors for `svc` (a create when `old` is undefined): IP family
 * problems first; otherwise the first requested ClusterIP outside the service range or
 * node port outside the node-port range. Values `old` already holds are not re-checked.
 * Does not modify `svc`.
 */
export function validateServiceAllocation(svc: Service, old: Service | undefined, opts: ValidationOptions): FieldError[] {
  const cidr = parseServiceCIDR(opts.serviceCIDR);
  const s = structuredClone(svc);
  const familyErrs = initServiceIPFamilies(s, old, cidr.network.family);
  if (familyErrs.length) return familyErrs;

  const ips = s.spec?.clusterIPs ?? [];
  if (s.spec?.type !== 'ExternalName' && ips[0] !== 'None') {
    const had = new Set(old?.spec?.type === 'ExternalName' ? [] : (old?.spec?.clusterIPs ?? []));
    for (const text of ips) {
      if (!text || had.has(text)) continue;
      const ip = parseIP(text)!;
      if (!isAllocatableIn(cidr, ip)) {
        const range = `${formatIP(cidr.network)}/${cidr.prefix}`;
        const why = `the provided IP (${formatIP(ip)}) is not in the valid range. The range of valid IPs is ${range}`;
        return [fieldErrors.invalid(spec.child('clusterIPs'), go(goStrings(s.spec?.clusterIPs)), `failed to allocate IP ${text}: ${why}`)];
      }
    }
  }

  if (needsNodePorts(s)) {
    const had = new Set(old && needsNodePorts(old) ? (old.spec?.ports ?? []).map((p) => p.nodePort ?? 0) : []);
    const { min, max } = opts.nodePortRange;
    const ports = s.spec?.ports ?? [];
    for (let i = 0; i < ports.length; i++) {
      const np = ports[i]!.nodePort ?? 0;
      if (np === 0 || had.has(np)) continue;
      if (np < min || np > max) {
        return [
          fieldErrors.invalid(
            spec.child('ports').index(i).child('nodePort'),
            np,
            `provided port is not in the valid range. The range of valid ports is ${min}-${max}`,
          ),
        ];
      }
    }
  }
  return [];
}
