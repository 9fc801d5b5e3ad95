import { assertNever } from '@kemu/common';
import type { TableDiff } from '../forwarding-table.js';
import type { Frontend } from '../types.js';
import type { DataPlaneContext } from './context.js';
import { HealthCheckFrontend } from './health-check-frontend.js';
import { TcpFrontend } from './tcp-frontend.js';
import { UdpFrontend } from './udp-frontend.js';

type AnyFrontend = TcpFrontend | UdpFrontend | HealthCheckFrontend;

/**
 * The sockets behind the forwarding table: one listener per frontend. apply() touches only
 * what a diff names: frontends added or removed, and connections to endpoints that left a
 * service port. Connections to endpoints that remain are never disturbed.
 */
export class DataPlane {
  private readonly frontends = new Map<string, AnyFrontend>();
  private readonly udpByServicePort = new Map<string, Set<UdpFrontend>>();

  constructor(private readonly ctx: DataPlaneContext) {}

  get size(): number {
    return this.frontends.size;
  }

  apply(diff: TableDiff): { closedConnections: number } {
    for (const f of diff.frontendsRemoved) this.remove(f);
    for (const f of diff.frontendsAdded) this.add(f);
    let closed = 0;
    for (const { servicePort, endpoints } of diff.endpointsRemoved) {
      const keys = endpoints.map((e) => e.key);
      closed += this.ctx.connections.closeEndpoints(servicePort, keys);
      for (const u of this.udpByServicePort.get(servicePort) ?? []) u.closeEndpoints(keys);
    }
    return { closedConnections: closed };
  }

  stop(): void {
    for (const f of this.frontends.values()) f.close();
    this.frontends.clear();
    this.udpByServicePort.clear();
    this.ctx.splicer.stop();
  }

  private add(f: Frontend): void {
    if (this.frontends.has(f.key)) return;
    let fe: AnyFrontend;
    switch (f.kind) {
      case 'health-check':
        fe = new HealthCheckFrontend(f, this.ctx);
        break;
      case 'cluster-ip':
      case 'node-port':
      case 'load-balancer':
      case 'external-ip':
        if (f.protocol === 'UDP') {
          const u = new UdpFrontend(f, this.ctx);
          let set = this.udpByServicePort.get(f.servicePort);
          if (!set) this.udpByServicePort.set(f.servicePort, (set = new Set()));
          set.add(u);
          fe = u;
        } else {
          fe = new TcpFrontend(f, this.ctx);
        }
        break;
      default:
        assertNever(f.kind);
    }
    this.frontends.set(f.key, fe);
    fe.open();
  }

  private remove(f: Frontend): void {
    const fe = this.frontends.get(f.key);
    if (!fe) return;
    this.frontends.delete(f.key);
    fe.close();
    if (fe instanceof UdpFrontend) {
      const set = this.udpByServicePort.get(fe.frontend.servicePort);
      set?.delete(fe);
      if (set?.size === 0) this.udpByServicePort.delete(fe.frontend.servicePort);
    }
  }
}
