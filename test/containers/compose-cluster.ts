// The docker-compose.yml topology brought up by testcontainers, in an address block of its
// own (KEMU_NET, KEMU_HOST_BLOCK) so that it runs beside a person's own `docker-compose up`.
// Needs a container engine reachable through DOCKER_HOST (scripts/containers/setup-podman.sh
// on a machine without Docker Engine) and, where nothing can be pulled, KEMU_BASE_IMAGE set
// to a local base image (scripts/containers/base-image.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DockerComposeEnvironment, Wait, type StartedDockerComposeEnvironment } from 'testcontainers';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// The reaper image cannot be pulled on a machine without a registry, and mapped ports are
// reached on loopback: the tests remove what they start themselves (down -v in after()).
process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';
process.env['TESTCONTAINERS_HOST_OVERRIDE'] ??= '127.0.0.1';

/** Every service but the one-shot demo: the tests make their own workloads. */
export const SERVICES = [
  'etcd-0', 'etcd-1', 'etcd-2',
  'apiserver-0', 'apiserver-1',
  'controller-manager-0', 'controller-manager-1',
  'dns-0', 'dns-1',
  'node-1', 'node-2', 'node-3',
] as const;

export const ADMIN_TOKEN = 'kemu-compose-admin';

export interface ComposeClusterOptions {
  project: string;
  /** First three octets of the cluster's network (KEMU_NET). */
  net: string;
  /** First three octets of the host addresses ports are published on (KEMU_HOST_BLOCK). */
  hostBlock: string;
  /** Extra compose variables (timings). */
  env?: Record<string, string>;
}

/** `docker compose` (v2) where the docker CLI has it, else the standalone docker-compose (v1). */
function composeIsV2(): boolean {
  return spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
}

export class ComposeCluster {
  private constructor(
    readonly o: ComposeClusterOptions,
    private readonly env: StartedDockerComposeEnvironment,
    readonly v2: boolean,
  ) {}

  /** Builds the image and starts every service; resolves when all are healthy. */
  static async up(o: ComposeClusterOptions): Promise<ComposeCluster> {
    const v2 = composeIsV2();
    const env = await new DockerComposeEnvironment(REPO_ROOT, 'docker-compose.yml')
      .withProjectName(o.project)
      .withEnvironment({
        KEMU_NET: o.net,
        KEMU_HOST_BLOCK: o.hostBlock,
        ...(process.env['KEMU_BASE_IMAGE'] ? { KEMU_BASE_IMAGE: process.env['KEMU_BASE_IMAGE'] } : {}),
        ...o.env,
      })
      .withBuild()
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(240_000)
      .withClientOptions(v2 ? {} : { executable: { standalone: true } })
      .up([...SERVICES]);
    return new ComposeCluster(o, env, v2);
  }

  /** The apiservers' gRPC addresses as published on the host. */
  servers(): string[] {
    return [`${this.o.hostBlock}.1:6443`, `${this.o.hostBlock}.2:6443`];
  }

  /** etcd-0..2's client addresses as published on the host. */
  etcdEndpoints(): string[] {
    return [5, 6, 7].map((i) => `${this.o.hostBlock}.${i}:2379`);
  }

  /** node-N's address for its NodePorts, on the host. */
  nodePortHost(n: 1 | 2 | 3): string {
    return `${this.o.hostBlock}.${10 + n}`;
  }

  /** The environment a `kemu` command needs to reach this cluster (chaos --compose included). */
  cliEnv(): Record<string, string> {
    return { KEMU_SERVER: this.servers().join(','), KEMU_TOKEN: ADMIN_TOKEN, KEMU_HOST_BLOCK: this.o.hostBlock, COMPOSE_PROJECT_NAME: this.o.project };
  }

  /** The container of a service, as the engine names it. */
  containerName(service: string): string {
    return this.v2 ? `${this.o.project}-${service}-1` : `${this.o.project}_${service}_1`;
  }

  docker(args: string[], timeoutMs = 60_000): string {
    return execFileSync('docker', args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Containers, volumes and networks of the project, removed. */
  async down(): Promise<void> {
    await this.env.down({ removeVolumes: true, timeout: 10_000 });
  }
}

/** What the engine still holds for a project: containers, volumes, networks. */
export function leftovers(project: string): string[] {
  const q = (args: string[]): string[] =>
    execFileSync('docker', args, { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  return [
    ...q(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', 'container {{.Names}}']),
    ...q(['volume', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '--format', 'volume {{.Name}}']),
    ...q(['network', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '--format', 'network {{.Name}}']),
  ];
}

/**
 * Removes what an earlier run that never reached its teardown (a CI job killed mid-run)
 * left of a project, so the next `up` starts clean; returns what it removed.
 */
export function removeLeftovers(project: string): string[] {
  const found = leftovers(project);
  for (const kind of ['container', 'volume', 'network'] as const) {
    const names = found.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1));
    if (names.length === 0) continue;
    const args = kind === 'container' ? ['rm', '-f', ...names] : [kind, 'rm', ...names];
    execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return found;
}
