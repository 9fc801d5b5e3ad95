import type { ServerResponse } from 'node:http';
import type { ResourceInfo } from '@kemu/api';
import type { CacheEventType, CachedObject, CacheWatcher, Filter } from '../storage/watch-cache.js';
import { toTable, type IncludeObject } from './table.js';
import type { Representation } from './content.js';

/** Bytes buffered for a watcher that is not reading, after which it is dropped (it rewatches). */
export const MAX_WATCH_BACKLOG = 16 * 1024 * 1024;

export interface WatchStreamOptions {
  info: ResourceInfo & { resource: Parameters<typeof toTable>[0] };
  filter: Filter;
  representation: Representation;
  includeObject: IncludeObject;
  now: () => number;
  /** Called once when the stream ends, whoever ends it. */
  onClose: (reason: string) => void;
}

/**
 * One HTTP watch: a CacheWatcher that writes Kubernetes watch events to a chunked
 * response, one JSON object per line (`{"type":"ADDED","object":{...}}`), as
 * kube-apiserver streams `?watch=true` for application/json. With `as=Table` every
 * event's object is a one-row Table (column definitions on the first only). BOOKMARK
 * events carry only kind, apiVersion and metadata.resourceVersion.
 */
export class WatchStream implements CacheWatcher {
  readonly filter: Filter;
  private closed = false;
  private firstTable = true;

  constructor(
    private readonly res: ServerResponse,
    private readonly o: WatchStreamOptions,
  ) {
    this.filter = o.filter;
  }

  /** Starts the response: 200, chunked JSON. */
  begin(): void {
    this.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    this.res.flushHeaders();
  }

  send(type: CacheEventType | 'BOOKMARK', obj: CachedObject | number): boolean {
    if (this.closed) return true;
    this.res.write(this.frame(type, obj));
    return this.res.writableLength < MAX_WATCH_BACKLOG;
  }

  /** The BOOKMARK that ends the initial events of a sendInitialEvents watch. */
  initialEventsEnd(rv: number): void {
    if (this.closed) return;
    const { info } = this.o;
    const object = { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(rv), annotations: { 'k8s.io/initial-events-end': 'true' } } };
    this.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  /** An ERROR event with a Status, then the end of the stream. */
  error(status: object): void {
    if (this.closed) return;
    this.res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    this.close('error');
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
    this.o.onClose(reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private frame(type: CacheEventType | 'BOOKMARK', obj: CachedObject | number): string | Buffer {
    const { info, representation } = this.o;
    if (representation.kind === 'table') {
      if (typeof obj === 'number') {
        const object = { kind: 'Table', apiVersion: representation.apiVersion, metadata: { resourceVersion: String(obj) }, columnDefinitions: [], rows: [] };
        return `${JSON.stringify({ type, object })}\n`;
      }
      const table = toTable(info.resource, [obj.obj], { resourceVersion: String(obj.rv) }, {
        now: this.o.now(),
        includeObject: this.o.includeObject,
        noHeaders: !this.firstTable,
        apiVersion: representation.apiVersion,
      });
      this.firstTable = false;
      return `${JSON.stringify({ type, object: table })}\n`;
    }
    if (typeof obj === 'number') {
      const object = { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(obj) } };
      return `${JSON.stringify({ type, object })}\n`;
    }
    return Buffer.concat([Buffer.from(`{"type":"${type}","object":`), obj.bytes(), Buffer.from('}\n')]);
  }
}
