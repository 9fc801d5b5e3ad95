import { execFile } from 'node:child_process';

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
  raw: string;
}

/** Runs real dig (Debian dnsutils) and splits its output into sections of record fields. */
export function dig(server: string, port: number, name: string, type = 'A', extra: string[] = []): Promise<DigResult> {
  const args = [`@${server}`, '-p', String(port), name, type, '+nocmd', '+noall', '+comments', '+answer', '+authority', '+additional', '+tries=1', '+time=3', ...extra];
  return new Promise((resolve, reject) => {
    execFile('dig', args, { timeout: 15_000 }, (err, stdout) => {
      if (err && !stdout) {
        reject(new Error(`dig ${args.join(' ')}: ${err.message}`));
        return;
      }
      const out: DigResult = { status: '', flags: [], answer: [], authority: [], additional: [], raw: stdout };
      let section: 'answer' | 'authority' | 'additional' | undefined;
      for (const line of stdout.split('\n')) {
        const status = /status: (\w+)/.exec(line);
        if (status) out.status = status[1]!;
        const flags = /^;; flags: ([a-z ]+);/.exec(line);
        if (flags) out.flags = flags[1]!.trim().split(/\s+/);
        if (line.startsWith(';; ANSWER SECTION')) section = 'answer';
        else if (line.startsWith(';; AUTHORITY SECTION')) section = 'authority';
        else if (line.startsWith(';; ADDITIONAL SECTION')) section = 'additional';
        else if (line.startsWith(';') || !line.trim()) {
          if (!line.trim()) section = undefined;
        } else if (section) out[section].push(line.trim().split(/\s+/));
      }
      if (!out.status) reject(new Error(`dig ${args.join(' ')}: no answer\n${stdout}`));
      else resolve(out);
    });
  });
}

/** The data fields (after name, TTL, class, type) of the records of one type. */
export const rdata = (records: string[][], type: string): string[] => records.filter((r) => r[3] === type).map((r) => r.slice(4).join(' '));
