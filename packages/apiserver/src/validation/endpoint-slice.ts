import { FieldPath, fieldErrors, type EndpointSlice, type FieldError } from '@kemu/api';
import { validateIPv4Address, validateIPv6Address, validateNonSpecialIP } from './ip-errors.js';
import { FIELD_IMMUTABLE, validateDNS1123Label, validateObjectMeta, validateObjectMetaUpdate, validateQualifiedName } from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidLabelValue, nameIsDNSSubdomain } from './names.js';
import type { ValidationOptions } from './options.js';
import { SUPPORTED_PROTOCOLS } from './service.js';

/** Kubernetes' discovery.k8s.io/v1 EndpointSlice validation. */

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_ENDPOINTS = 1000;
const MAX_ZONE_HINTS = 8;

/** IsFullyQualifiedDomainName: at least two labels, a trailing '.' allowed. */
function validateFQDN(p: FieldPath, value: string): FieldError[] {
  if (!value) return [fieldErrors.required(p)];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const sub = isDNS1123Subdomain(name);
  if (sub.length) return [fieldErrors.invalid(p, name, sub.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) return [fieldErrors.invalid(p, name, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const bad = isDNS1123Label(l);
    if (bad.length) return [fieldErrors.invalid(p, l, bad.join(','))];
  }
  return [];
}

function validateSlice(slice: EndpointSlice, opts: ValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  const type = slice.addressType ?? '';
  if (!type) errs.push(fieldErrors.required(FieldPath.root('addressType')));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(fieldErrors.notSupported(FieldPath.root('addressType'), type, ADDRESS_TYPES));

  const endpoints = slice.endpoints ?? [];
  const epPath = FieldPath.root('endpoints');
  if (endpoints.length > MAX_ENDPOINTS) {
    errs.push(fieldErrors.tooMany(epPath, endpoints.length, MAX_ENDPOINTS));
  } else {
    endpoints.forEach((ep, i) => {
      const ap = epPath.index(i).child('addresses');
      const addresses = ep.addresses ?? [];
      if (addresses.length === 0) errs.push(fieldErrors.required(ap, 'must contain at least 1 address'));
      else if (addresses.length > MAX_ADDRESSES) errs.push(fieldErrors.tooMany(ap, addresses.length, MAX_ADDRESSES));
      addresses.forEach((a, j) => {
        const p = ap.index(j);
        if (type === 'IPv4') errs.push(...validateIPv4Address(p, a), ...validateNonSpecialIP(a, p, opts.allowLoopbackEndpoints));
        else if (type === 'IPv6') errs.push(...validateIPv6Address(p, a), ...validateNonSpecialIP(a, p, opts.allowLoopbackEndpoints));
        else if (type === 'FQDN') errs.push(...validateFQDN(p, a));
      });
      if (ep.nodeName !== undefined) {
        for (const m of nameIsDNSSubdomain(ep.nodeName, false)) errs.push(fieldErrors.invalid(epPath.index(i).child('nodeName'), ep.nodeName, m));
      }
      if (ep.hostname !== undefined) errs.push(...validateDNS1123Label(ep.hostname, epPath.index(i).child('hostname')));
      const zones = ep.hints?.forZones;
      if (zones) {
        const fz = epPath.index(i).child('hints', 'forZones');
        if (zones.length > MAX_ZONE_HINTS) {
          errs.push(fieldErrors.tooMany(fz, zones.length, MAX_ZONE_HINTS));
        } else {
          const seen = new Set<string>();
          zones.forEach((z, k) => {
            const zp = fz.index(k).child('name');
            const name = z.name ?? '';
            if (seen.has(name)) errs.push(fieldErrors.duplicate(zp, name));
            else seen.add(name);
            for (const m of isValidLabelValue(name)) errs.push(fieldErrors.invalid(zp, name, m));
          });
        }
      }
    });
  }

  const ports = slice.ports ?? [];
  const portsPath = FieldPath.root('ports');
  if (ports.length > MAX_PORTS) {
    errs.push(fieldErrors.tooMany(portsPath, ports.length, MAX_PORTS));
  } else {
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const p = portsPath.index(i);
      const name = port.name ?? '';
      if (name) errs.push(...validateDNS1123Label(name, p.child('name')));
      if (names.has(name)) errs.push(fieldErrors.duplicate(p.child('name'), name));
      else names.add(name);
      if (port.protocol === undefined) errs.push(fieldErrors.required(p.child('protocol')));
      else if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(port.protocol)) {
        errs.push(fieldErrors.notSupported(p.child('protocol'), port.protocol, SUPPORTED_PROTOCOLS));
      }
      if (port.appProtocol !== undefined) errs.push(...validateQualifiedName(port.appProtocol, p.child('appProtocol')));
    });
  }
  return errs;
}

export function validateEndpointSlice(slice: EndpointSlice, opts: ValidationOptions): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain, kubeFinalizers: true });
  errs.push(...validateSlice(slice, opts));
  return errs;
}

export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice, opts: ValidationOptions): FieldError[] {
  const errs = validateObjectMetaUpdate(slice.metadata, old.metadata, true);
  errs.push(...validateEndpointSlice(slice, opts));
  if ((slice.addressType ?? '') !== (old.addressType ?? '')) {
    errs.push(fieldErrors.invalid(FieldPath.root('addressType'), slice.addressType ?? '', FIELD_IMMUTABLE));
  }
  return errs;
}
