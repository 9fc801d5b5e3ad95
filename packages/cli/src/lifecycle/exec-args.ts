import { basename } from 'node:path';

/**
 * How common network tools are told which local address to send from, so that a command
 * run "on a node" by `kemu exec` uses the node's IP as its source. `present` are the
 * spellings that mean the user chose a source already (then nothing is added).
 */
const SOURCE_FLAGS: Record<string, { present: string[]; add: (ip: string) => string[] }> = {
  curl: { present: ['--interface'], add: (ip) => ['--interface', ip] },
  wget: { present: ['--bind-address'], add: (ip) => [`--bind-address=${ip}`] },
  dig: { present: ['-b'], add: (ip) => ['-b', ip] },
  nc: { present: ['-s'], add: (ip) => ['-s', ip] },
  ncat: { present: ['-s', '--source'], add: (ip) => ['-s', ip] },
  netcat: { present: ['-s'], add: (ip) => ['-s', ip] },
  ping: { present: ['-I'], add: (ip) => ['-I', ip] },
};

/** The tools whose source address `kemu exec` sets. */
export const SOURCE_AWARE_TOOLS = Object.keys(SOURCE_FLAGS);

/**
 * The arguments to run `command` with on node IP `ip`: the tool's source-address flag
 * first when it has one and the user gave none, then the user's arguments unchanged.
 */
export function withSourceAddress(command: string, args: readonly string[], ip: string): { args: string[]; added: string[] } {
  const tool = SOURCE_FLAGS[basename(command)];
  if (!tool) return { args: [...args], added: [] };
  const given = args.some((a) => tool.present.some((p) => a === p || a.startsWith(`${p}=`) || (p.length === 2 && a.startsWith(p) && !a.startsWith('--'))));
  if (given) return { args: [...args], added: [] };
  const added = tool.add(ip);
  return { args: [...added, ...args], added };
}

/** The environment a command run on a node gets on top of kemu's own. */
export function nodeEnv(node: { name: string; ip: string; zone: string; podCIDR: string }): Record<string, string> {
  return { NODE_NAME: node.name, NODE_IP: node.ip, KEMU_NODE_NAME: node.name, KEMU_NODE_IP: node.ip, KEMU_NODE_ZONE: node.zone, KEMU_POD_CIDR: node.podCIDR };
}

/** The exit code a shell reports for a child that ended with `code` or by `signal`. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null, signals: Record<string, number>): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + (signals[signal] ?? 0);
  return 1;
}
