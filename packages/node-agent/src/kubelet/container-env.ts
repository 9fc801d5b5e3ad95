import type { Pod, core } from '@kemu/api';
import { podSpec, type EnvVarExt } from './api-extensions.js';

/**
 * Kubernetes `$(VAR)` expansion (third_party/forked/golang/expansion): `$(NAME)` becomes
 * the first context's value for NAME, or stays `$(NAME)` literally when no context has
 * it; `$$` is an escaped `$`; any other `$` is kept as is.
 */
export function expandVars(input: string, contexts: readonly ReadonlyMap<string, string>[]): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      const found = contexts.find((m) => m.has(name));
      out += found ? found.get(name)! : `$(${name})`;
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

export interface EnvInput {
  pod: Pod;
  container: core.Container;
  nodeName: string;
  podIP: string;
  hostIP: string;
  /** From serviceEnv(): the Service variables the container sees. */
  services: ReadonlyMap<string, string>;
  /** What every process needs from the agent's own environment (PATH, HOME). */
  base: Readonly<Record<string, string>>;
}

/**
 * `env` is the process environment; `vars` what `$(VAR)` in the command and args may name
 * (the same without `base`, as Kubernetes does not expand image variables).
 */
export type EnvResult = { ok: true; env: Map<string, string>; vars: Map<string, string> } | { ok: false; message: string };

/**
 * A container's environment. Lowest to highest precedence: `base` (the image's
 * environment, in Kubernetes terms), kemu's POD_NAME/POD_NAMESPACE/POD_IP/NODE_NAME, the
 * Service variables, then the container's `env` in order. An `env` value may refer to
 * earlier `env` entries, Service variables and kemu's pod variables with `$(VAR)`; a
 * `valueFrom.fieldRef` reads the pod (Kubernetes' downward API).
 */
export function containerEnv(input: EnvInput): EnvResult {
  const { pod, container } = input;
  const implicit = new Map<string, string>([
    ['POD_NAME', pod.metadata?.name ?? ''],
    ['POD_NAMESPACE', pod.metadata?.namespace ?? ''],
    ['POD_IP', input.podIP],
    ['NODE_NAME', input.nodeName],
  ]);
  const declared = new Map<string, string>();
  const services = new Map(input.services);
  for (const raw of container.env ?? []) {
    const v = raw as EnvVarExt;
    const name = v.name ?? '';
    let value = v.value ?? '';
    if (value !== '') {
      value = expandVars(value, [declared, services, implicit]);
    } else if (v.valueFrom?.fieldRef) {
      const r = fieldRefValue(pod, v.valueFrom.fieldRef.fieldPath ?? '', input);
      if (!r.ok) return { ok: false, message: `env ${name}: ${r.message}` };
      value = r.value;
    }
    services.delete(name);
    declared.set(name, value);
  }
  const vars = new Map<string, string>();
  for (const m of [implicit, services, declared]) for (const [k, v] of m) vars.set(k, v);
  const env = new Map<string, string>(Object.entries(input.base));
  for (const [k, v] of vars) env.set(k, v);
  return { ok: true, env, vars };
}

type FieldValue = { ok: true; value: string } | { ok: false; message: string };

const SUBSCRIPTED = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** A downward-API field of the pod, as the kubelet resolves `valueFrom.fieldRef`. */
export function fieldRefValue(pod: Pod, path: string, ctx: { podIP: string; hostIP: string }): FieldValue {
  const m = SUBSCRIPTED.exec(path);
  if (m) {
    const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return { ok: true, value: map?.[m[2]!] ?? '' };
  }
  switch (path) {
    case 'metadata.name':
      return { ok: true, value: pod.metadata?.name ?? '' };
    case 'metadata.namespace':
      return { ok: true, value: pod.metadata?.namespace ?? '' };
    case 'metadata.uid':
      return { ok: true, value: pod.metadata?.uid ?? '' };
    case 'spec.nodeName':
      return { ok: true, value: pod.spec?.nodeName ?? '' };
    case 'spec.serviceAccountName':
      return { ok: true, value: podSpec(pod).serviceAccountName ?? '' };
    case 'status.podIP':
    case 'status.podIPs':
      return { ok: true, value: ctx.podIP };
    case 'status.hostIP':
    case 'status.hostIPs':
      return { ok: true, value: ctx.hostIP };
    default:
      return { ok: false, message: `unsupported fieldRef fieldPath "${path}"` };
  }
}
