import { fieldErrors, type FieldError, type FieldPath } from '@kemu/api';
import { isLinkLocalMulticast, isLinkLocalUnicast, isLoopback, isUnspecified, parseCIDR, parseIP } from './ip.js';

/** Kubernetes' field checks for IP and CIDR strings, with its messages. */

export function validateIP(p: FieldPath, value: string): FieldError[] {
  return parseIP(value) ? [] : [fieldErrors.invalid(p, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function validateIPv4Address(p: FieldPath, value: string): FieldError[] {
  return parseIP(value)?.family === 'IPv4' ? [] : [fieldErrors.invalid(p, value, 'must be a valid IPv4 address')];
}

export function validateIPv6Address(p: FieldPath, value: string): FieldError[] {
  return parseIP(value)?.family === 'IPv6' ? [] : [fieldErrors.invalid(p, value, 'must be a valid IPv6 address')];
}

export function validateCIDR(p: FieldPath, value: string): FieldError[] {
  return parseCIDR(value) ? [] : [fieldErrors.invalid(p, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/**
 * Endpoint addresses and external IPs may not be unspecified, loopback or link-local.
 * `allowLoopback` relaxes the loopback rule only (kemu's pods live on 127.0.0.0/8).
 */
export function validateNonSpecialIP(value: string, p: FieldPath, allowLoopback = false): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [fieldErrors.invalid(p, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  if (isUnspecified(ip)) errs.push(fieldErrors.invalid(p, value, `may not be unspecified (${value})`));
  if (isLoopback(ip) && !allowLoopback) errs.push(fieldErrors.invalid(p, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (isLinkLocalUnicast(ip)) errs.push(fieldErrors.invalid(p, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (isLinkLocalMulticast(ip)) {
    errs.push(fieldErrors.invalid(p, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}
