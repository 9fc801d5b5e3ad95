/** The answer a handler gives, before it is put on the wire. */

export type RData =
  | { type: 1; address: string } // A
  | { type: 28; address: string } // AAAA
  | { type: 2 | 5 | 12; target: string } // NS, CNAME, PTR
  | { type: 33; priority: number; weight: number; port: number; target: string } // SRV
  | { type: 16; texts: string[] } // TXT
  | { type: 6; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } // SOA
  | { type: number; raw: Buffer }; // anything else, as received

export interface ResourceRecord {
  /** Owner, presentation form with the trailing dot. */
  name: string;
  ttl: number;
  data: RData;
}

export interface Answer {
  rcode: number;
  authoritative: boolean;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export function answerOf(rcode: number, authoritative = false): Answer {
  return { rcode, authoritative, answer: [], authority: [], additional: [] };
}
