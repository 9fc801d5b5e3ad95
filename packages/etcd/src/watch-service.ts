import type { ServerDuplexStream } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import type { Member } from './member.js';
import { eventToPb, toRevision } from './pb-mapping.js';
import { WatchError, WatchFilter, type Event, type WatchOutput } from './mvcc/index.js';

type WatchCall = ServerDuplexStream<etcdserverpb.WatchRequest, etcdserverpb.WatchResponse>;

const emptyResponse = (): Omit<etcdserverpb.WatchResponse, 'header' | 'watchId'> => ({
  created: false,
  canceled: false,
  compactRevision: 0n,
  cancelReason: '',
  fragment: false,
  events: [],
});

/**
 * Most bytes of events one response carries. A catch-up batch can hold 1000 revisions;
 * sent whole it may exceed the 4 MiB a default gRPC client accepts. Events of one
 * revision always stay in one response (etcd splits a revision only with `fragment`).
 */
const MAX_RESPONSE_BYTES = 1024 * 1024;

function splitByRevision(events: Event[]): Event[][] {
  const out: Event[][] = [];
  let current: Event[] = [];
  let bytes = 0;
  for (let i = 0; i < events.length; ) {
    const rev = events[i]!.kv.modRevision;
    let j = i;
    let groupBytes = 0;
    for (; j < events.length && events[j]!.kv.modRevision === rev; j++) {
      const e = events[j]!;
      groupBytes += e.kv.key.length + e.kv.value.length + (e.prevKv ? e.prevKv.key.length + e.prevKv.value.length : 0) + 32;
    }
    if (current.length > 0 && bytes + groupBytes > MAX_RESPONSE_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    for (let k = i; k < j; k++) current.push(events[k]!);
    bytes += groupBytes;
    i = j;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** etcdserverpb.Watch: many watches per stream, each answered in etcd 3.4's message shapes. */
export function watchService(member: Member): etcdserverpb.WatchServer {
  const broker = member.state.watches;
  return {
    watch: (call: WatchCall) => {
      let open = true;
      let paused = false;
      // When the client stops reading, grpc's buffer fills and write() returns false: stop
      // producing for this stream until it drains, then catch up from history (etcd's
      // "victim" watchers), so a stuck client cannot make the member buffer without bound.
      const send = (res: etcdserverpb.WatchResponse): void => {
        if (!open || call.write(res) || paused) return;
        paused = true;
        broker.pause(streamId);
        member.log.debug({ stream: streamId }, 'watch stream is not reading; pausing it');
        call.once('drain', () => {
          paused = false;
          member.log.debug({ stream: streamId }, 'watch stream drained; catching up');
          if (open) broker.resume(streamId);
        });
      };
      const toResponse = (o: WatchOutput): etcdserverpb.WatchResponse => {
        switch (o.kind) {
          case 'events':
            return { ...emptyResponse(), header: member.header(o.revision), watchId: BigInt(o.watchId), events: o.events.map(eventToPb) };
          case 'compacted':
            return {
              ...emptyResponse(),
              header: member.header(o.revision),
              watchId: BigInt(o.watchId),
              canceled: true,
              compactRevision: BigInt(o.compactRevision),
            };
          case 'progress':
            return { ...emptyResponse(), header: member.header(o.revision), watchId: BigInt(o.watchId) };
        }
      };
      const streamId = broker.openStream((o) => {
        if (o.kind !== 'events') return send(toResponse(o));
        for (const events of splitByRevision(o.events)) send(toResponse({ ...o, events }));
      });
      const close = (): void => {
        if (!open) return;
        open = false;
        broker.closeStream(streamId);
      };

      call.on('data', (req: etcdserverpb.WatchRequest) => {
        const r = req.requestUnion;
        switch (r?.$case) {
          case 'createRequest': {
            const c = r.createRequest;
            const filters = c.filters.map((f) => (f === etcdserverpb.WatchCreateRequest_FilterType.NOPUT ? WatchFilter.NOPUT : WatchFilter.NODELETE));
            try {
              const res = broker.create(streamId, {
                key: c.key,
                rangeEnd: c.rangeEnd,
                startRevision: toRevision(c.startRevision),
                prevKv: c.prevKv,
                filters,
                progressNotify: c.progressNotify,
                watchId: Number(c.watchId),
              });
              send({ ...emptyResponse(), header: member.header(res.headerRevision), watchId: BigInt(res.watchId), created: true });
              if (res.kind === 'compacted') send(toResponse(res.output));
            } catch (err) {
              if (!(err instanceof WatchError)) throw err;
              send({ ...emptyResponse(), header: member.header(), watchId: -1n, created: true, canceled: true, cancelReason: err.message });
            }
            return;
          }
          case 'cancelRequest': {
            const id = r.cancelRequest.watchId;
            if (broker.cancel(streamId, Number(id))) send({ ...emptyResponse(), header: member.header(), watchId: id, canceled: true });
            return;
          }
          case 'progressRequest':
            broker.requestProgress(streamId);
            return;
          case undefined:
            return;
        }
      });
      call.on('end', () => {
        close();
        call.end();
      });
      call.on('error', close);
      call.on('cancelled', close);
    },
  };
}
