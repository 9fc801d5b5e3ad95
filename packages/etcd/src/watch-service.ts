import type { ServerDuplexStream } from '@grpc/grpc-js';
import { etcdserverpb } from '@kemu/api';
import type { Member } from './member.js';
import { eventToPb } from './pb-mapping.js';
import { WatchError, WatchFilter, type WatchOutput } from './mvcc/index.js';

type WatchCall = ServerDuplexStream<etcdserverpb.WatchRequest, etcdserverpb.WatchResponse>;

const emptyResponse = (): Omit<etcdserverpb.WatchResponse, 'header' | 'watchId'> => ({
  created: false,
  canceled: false,
  compactRevision: 0n,
  cancelReason: '',
  fragment: false,
  events: [],
});

/** etcdserverpb.Watch: many watches per stream, each answered in etcd 3.4's message shapes. */
export function watchService(member: Member): etcdserverpb.WatchServer {
  const broker = member.state.watches;
  return {
    watch: (call: WatchCall) => {
      let open = true;
      const send = (res: etcdserverpb.WatchResponse): void => {
        if (open) call.write(res);
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
      const streamId = broker.openStream((o) => send(toResponse(o)));
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
            const start = c.startRevision > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(c.startRevision);
            try {
              const res = broker.create(streamId, {
                key: c.key,
                rangeEnd: c.rangeEnd,
                startRevision: start,
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
