import { Flag, typeName, rcodeName } from '../../wire/constants.js';
import type { Next, Plugin, Request, Result } from '../../plugin.js';
import { rcodeOf } from '../../wire/inspect.js';

/**
 * The `log` plugin: one line per query in CoreDNS's format, e.g.
 * `[INFO] 127.0.0.1:40123 - 4711 "A IN web.default.svc.cluster.local. udp 58 false 1232" NOERROR qr,aa,rd 106 0.000120s`.
 */
export class LogPlugin implements Plugin {
  readonly name = 'log';

  constructor(private readonly write: (line: string) => void) {}

  serve(req: Request, next: Next): Result | Promise<Result> {
    return next(req);
  }

  observe(req: Request, wire: Buffer): void {
    const q = req.query;
    const flags = wire.readUInt16BE(2);
    const names: string[] = ['qr'];
    if (flags & Flag.AA) names.push('aa');
    if (flags & Flag.TC) names.push('tc');
    if (flags & Flag.RD) names.push('rd');
    if (flags & Flag.RA) names.push('ra');
    const secs = ((performance.now() - req.startedAt) / 1000).toFixed(6);
    const host = req.remoteAddress.includes(':') ? `[${req.remoteAddress}]` : req.remoteAddress;
    this.write(
      `[INFO] ${host}:${req.remotePort} - ${q.id} "${typeName(q.qtype)} ${q.qclass === 1 ? 'IN' : `CLASS${q.qclass}`} ${q.name} ${req.transport} ${q.packet.length} ${q.edns?.dnssecOk ? 'true' : 'false'} ${q.edns?.udpSize ?? 512}" ${rcodeName(rcodeOf(wire))} ${names.join(',')} ${wire.length} ${secs}s`,
    );
  }
}
