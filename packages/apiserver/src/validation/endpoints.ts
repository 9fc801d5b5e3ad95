import { FieldPath, fieldErrors, type Endpoints, type FieldError, type core } from '@kemu/api';
import { validateIP, validateNonSpecialIP } from './ip-errors.js';
import { validateDNS1123Label, validateObjectMeta, validateObjectMetaUpdate, validateQualifiedName } from './meta.js';
import { isValidPortNum, nameIsDNSSubdomain } from './names.js';
import type { ValidationOptions } from './options.js';
import { validateProtocol } from './service.js';

/** Kubernetes' validation of the legacy core/v1 Endpoints. */

function validateAddress(a: core.EndpointAddress, p: FieldPath, opts: ValidationOptions): FieldError[] {
  const ip = a.ip ?? '';
  const errs = validateIP(p.child('ip'), ip);
  if (a.hostname) errs.push(...validateDNS1123Label(a.hostname, p.child('hostname')));
  if (a.nodeName !== undefined) {
    for (const m of nameIsDNSSubdomain(a.nodeName, false)) errs.push(fieldErrors.invalid(p.child('nodeName'), a.nodeName, m));
  }
  errs.push(...validateNonSpecialIP(ip, p.child('ip'), opts.allowLoopbackEndpoints));
  return errs;
}

function validatePort(port: core.EndpointPort, requireName: boolean, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !port.name) errs.push(fieldErrors.required(p.child('name')));
  else if (port.name) errs.push(...validateDNS1123Label(port.name, p.child('name')));
  for (const m of isValidPortNum(port.port ?? 0)) errs.push(fieldErrors.invalid(p.child('port'), port.port ?? 0, m));
  errs.push(...validateProtocol(port.protocol, p.child('protocol')));
  if (port.appProtocol !== undefined) errs.push(...validateQualifiedName(port.appProtocol, p.child('appProtocol')));
  return errs;
}

function validateSubsets(ep: Endpoints, opts: ValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = FieldPath.root('subsets').index(i);
    const addresses = ss.addresses ?? [];
    const notReady = ss.notReadyAddresses ?? [];
    if (addresses.length === 0 && notReady.length === 0) errs.push(fieldErrors.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    addresses.forEach((a, j) => errs.push(...validateAddress(a, p.child('addresses').index(j), opts)));
    notReady.forEach((a, j) => errs.push(...validateAddress(a, p.child('notReadyAddresses').index(j), opts)));
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => errs.push(...validatePort(port, ports.length > 1, p.child('ports').index(j))));
  });
  return errs;
}

export function validateEndpoints(ep: Endpoints, opts: ValidationOptions): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain, kubeFinalizers: true });
  errs.push(...validateSubsets(ep, opts));
  return errs;
}

export function validateEndpointsUpdate(ep: Endpoints, old: Endpoints, opts: ValidationOptions): FieldError[] {
  return [...validateObjectMetaUpdate(ep.metadata, old.metadata, true), ...validateEndpoints(ep, opts)];
}
