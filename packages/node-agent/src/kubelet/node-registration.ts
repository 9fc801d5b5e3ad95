import { isApiError, Reason, type Node } from '@kemu/api';
import type { Logger } from '@kemu/common';
import type { SchemaSupport } from './api-extensions.js';
import { adoptNodePatch, nodeToRegister, planNodeStatus, type NodeFacts } from './node-status.js';
import type { KubeletClient } from './pod-status-sync.js';

export class NodeRegistrationError extends Error {
  override readonly name = 'NodeRegistrationError';
}

export interface NodeRegistrationOptions {
  client: KubeletClient;
  facts: NodeFacts;
  log: Logger;
  schema: SchemaSupport;
  /** How often the Node is re-read (nodeStatusUpdateFrequency). */
  updateEveryMs: number;
  /** How often an unchanged status is written anyway, as a heartbeat (nodeStatusReportFrequency). */
  reportEveryMs: number;
}

/**
 * Registers the Node (creates it, or adopts one of the same name), then every
 * `updateEveryMs` re-reads it and writes the status when planNodeStatus says so. A Node
 * deleted while the agent runs is registered again.
 */
export class NodeRegistration {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private uid: string | undefined;

  constructor(private readonly o: NodeRegistrationOptions) {}

  get nodeUID(): string | undefined {
    return this.uid;
  }

  /** Registers the node and writes its first status. Throws if the apiserver refuses. */
  async register(): Promise<Node> {
    const { client, facts, log } = this.o;
    let node: Node;
    try {
      node = await client.create('nodes', nodeToRegister(facts));
      log.info({ node: facts.nodeName }, 'kubelet: registered node');
    } catch (err) {
      if (!isApiError(err, Reason.AlreadyExists)) throw err;
      node = await client.get('nodes', '', facts.nodeName);
      const adopt = adoptNodePatch(node, facts);
      if (adopt.error) throw new NodeRegistrationError(`kubelet: ${adopt.error}`);
      if (adopt.patch) node = await client.patch('nodes', '', facts.nodeName, adopt.patch);
      log.info({ node: facts.nodeName }, 'kubelet: adopted existing node');
    }
    this.uid = node.metadata?.uid;
    return this.syncStatus(node);
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.o.updateEveryMs);
  }

  private async tick(): Promise<void> {
    const { client, facts, log } = this.o;
    try {
      let node: Node;
      try {
        node = await client.get('nodes', '', facts.nodeName);
      } catch (err) {
        if (!isApiError(err, Reason.NotFound)) throw err;
        log.warn({ node: facts.nodeName }, 'kubelet: node object was deleted; registering again');
        await this.register();
        return;
      }
      this.uid = node.metadata?.uid;
      await this.syncStatus(node);
    } catch (err) {
      log.warn({ err, node: facts.nodeName }, 'kubelet: node status update failed');
    }
  }

  private async syncStatus(node: Node): Promise<Node> {
    const { client, facts, log, schema } = this.o;
    const plan = planNodeStatus(node, facts, Date.now(), this.o.reportEveryMs, schema);
    if (!plan.status) return node;
    const patch = { metadata: { uid: node.metadata?.uid }, status: plan.status };
    const updated = await client.patch('nodes', '', facts.nodeName, patch, { status: true });
    if (plan.why === 'changed') {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      log.info({ node: facts.nodeName, was: ready?.status, reason: ready?.reason }, 'kubelet: node status corrected: Ready=True');
    }
    return updated;
  }
}
