import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { kubeconfigYaml } from '@kemu/cli';

/** A kubectl binary found on this machine, with its client minor version ("1.30"). */
export interface KubectlBinary {
  path: string;
  version: string;
}

function clientVersion(path: string): string | undefined {
  const r = spawnSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 20_000 });
  try {
    const v = (JSON.parse(r.stdout) as { clientVersion?: { major?: string; minor?: string } }).clientVersion;
    return v?.major && v.minor ? `${v.major}.${v.minor.replace(/\D+$/, '')}` : undefined;
  } catch {
    return undefined;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The kubectl binaries to test with: KEMU_KUBECTL (paths separated by ':') if set;
 * otherwise `kubectl` on PATH (Debian's kubernetes-client in CI) plus any versioned
 * kubectl next to it (kubectl.1.33, as some SDKs ship them), one per client minor version.
 * The first is the primary one, which runs every scenario.
 */
export function findKubectls(): KubectlBinary[] {
  const env = process.env['KEMU_KUBECTL'];
  const candidates: string[] = [];
  if (env) candidates.push(...env.split(delimiter).filter(Boolean));
  else {
    const main = onPath('kubectl');
    if (main) {
      candidates.push(main);
      const dir = dirname(realpathSync(main));
      const versioned = readdirSync(dir).filter((f) => /^kubectl\.\d+\.\d+$/.test(f));
      candidates.push(...versioned.map((f) => join(dir, f)));
    }
  }
  const seen = new Set<string>();
  const out: KubectlBinary[] = [];
  for (const path of candidates) {
    const version = clientVersion(path);
    if (!version || seen.has(version)) continue;
    seen.add(version);
    out.push({ path, version });
  }
  return out;
}

/** Writes a kubeconfig for `server` that trusts `caFile` and sends `token`. */
export function writeKubeconfig(dir: string, server: string, caFile: string, token: string): string {
  const path = join(dir, 'kubeconfig');
  const ca = readFileSync(caFile).toString('base64');
  writeFileSync(path, kubeconfigYaml({ name: 'kemu', server, caBase64: ca, token }));
  return path;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one kubectl binary against one kubeconfig, with its own HOME (kubectl's discovery
 * and OpenAPI caches live there), asynchronously so the test's event loop keeps going.
 */
export class Kubectl {
  readonly home: string;

  constructor(
    readonly bin: KubectlBinary,
    readonly kubeconfig: string,
    dir: string,
  ) {
    this.home = join(dir, `home-${bin.version}`);
    mkdirSync(this.home, { recursive: true });
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env['PATH'] ?? '', HOME: this.home, KUBECONFIG: this.kubeconfig, ...extra };
  }

  run(args: readonly string[], o: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin.path, args, { env: this.env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(o.input ?? '');
    });
  }

  /**
   * Runs kubectl and returns stdout; a non-zero exit throws with stderr. A 503 (etcd
   * stalled past its deadline on a starved machine) is retried twice, as a user would.
   */
  async ok(args: readonly string[], o: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.run(args, o);
      if (r.code === 0) return r.stdout;
      if (attempt < 2 && r.stderr.includes('(ServiceUnavailable)')) {
        await new Promise((res) => setTimeout(res, 2_000));
        continue;
      }
      throw new Error(`kubectl ${this.bin.version} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    }
  }

  /** Runs kubectl expecting it to fail; returns stderr. */
  async fails(args: readonly string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.run(args, o);
    if (r.code === 0) throw new Error(`kubectl ${this.bin.version} ${args.join(' ')} succeeded, expected a failure:\n${r.stdout}`);
    return r.stderr;
  }

  /** Starts a long-running kubectl (get -w); the caller kills it by its pid. */
  start(args: readonly string[]): { child: ChildProcess; output: () => string } {
    const child = spawn(this.bin.path, args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
  }
}

/**
 * Rows of kubectl's table output, header first. kubectl left-aligns every column at its
 * header's position, so cells are cut at those positions (empty cells stay empty).
 */
export function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const starts: number[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(header); m; m = re.exec(header)) starts.push(m.index);
  return lines.map((l) => starts.map((s, i) => l.slice(s, starts[i + 1] ?? l.length).trim()));
}

/** The row whose first cell (after a NAMESPACE column if any) is `name`, as header -> cell. */
export function rowOf(text: string, name: string): Record<string, string> | undefined {
  const [header, ...rows] = tableRows(text);
  if (!header) return undefined;
  const nameCol = header.indexOf('NAME');
  const row = rows.find((r) => r[nameCol] === name || r[nameCol]?.endsWith(`/${name}`));
  return row ? Object.fromEntries(header.map((h, i) => [h, row[i] ?? ''])) : undefined;
}
