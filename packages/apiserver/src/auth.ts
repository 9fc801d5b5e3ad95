import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';

export interface User {
  name: string;
  uid: string;
  groups: string[];
}

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

/**
 * Bearer-token authentication from a static token file, in kube-apiserver's
 * --token-auth-file format: one `token,user,uid[,"group1,group2"]` per line.
 */
export class TokenAuthenticator {
  private constructor(private readonly users: ReadonlyMap<string, User>) {}

  static fromFile(path: string): TokenAuthenticator {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new TokenFileError(`token file ${path}: ${(err as Error).message}`, { cause: err });
    }
    return TokenAuthenticator.parse(text, path);
  }

  static parse(text: string, source = 'token file'): TokenAuthenticator {
    const users = new Map<string, User>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const fields = splitCsv(line);
      const [token, name, uid, groups] = fields;
      if (!token || !name || !uid) {
        throw new TokenFileError(`${source}:${i + 1}: expected token,user,uid[,"groups"], got ${fields.length} field(s)`);
      }
      users.set(token, { name, uid, groups: groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : [] });
    });
    return new TokenAuthenticator(users);
  }

  /** The user an `authorization` header value names, or undefined. */
  authenticate(header: string | undefined): User | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const given = Buffer.from(m[1]!);
    for (const [token, user] of this.users) {
      const t = Buffer.from(token);
      if (t.length === given.length && timingSafeEqual(t, given)) return user;
    }
    return undefined;
  }
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}
