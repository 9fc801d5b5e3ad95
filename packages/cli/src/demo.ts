import { request } from 'node:http';
import { isApiError, KubeClient, Reason } from '@kemu/api';
import type { ClusterPlan } from './plan.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One GET on a fresh connection: which pod answered, or the error. */
function whoAnswers(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          const a = JSON.parse(body) as { pod?: string; node?: string };
          resolve(`${a.pod ?? '?'} on ${a.node ?? '?'}`);
        } catch {
          resolve(`HTTP ${res.statusCode}`);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(`error: ${err.message}`));
    req.end();
  });
}

/**
 * The `kemu up --demo` walk-through: a 3-replica kemu/echo Deployment spread over the zones
 * and a NodePort Service, then a request through the ClusterIP and through every node's
 * NodePort, and the curl commands that do the same. Objects are created once; a second
 * run shows the same ones.
 */
export async function runDemo(plan: ClusterPlan, token: string, stateDir?: string): Promise<void> {
  // The commands below name the state dir unless it is the default one.
  const sd = stateDir && stateDir !== '.kemu' ? ` --state-dir ${stateDir}` : '';
  const client = new KubeClient({ endpoints: plan.apiservers.map((a) => a.grpc), token });
  const [dnsHost, dnsPort] = (plan.dns[0]?.listen ?? ':').split(':') as [string, string];
  try {
    for (const create of [
      () =>
        client.create('deployments', {
          metadata: { name: 'hello', namespace: 'default' },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: 'hello' } },
            template: {
              metadata: { labels: { app: 'hello' } },
              spec: {
                containers: [
                  {
                    name: 'echo',
                    image: 'kemu/echo',
                    ports: [{ name: 'http', containerPort: 8080 }],
                    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 },
                  },
                ],
              },
            },
          },
        }),
      () =>
        client.create('services', {
          metadata: { name: 'hello', namespace: 'default' },
          spec: { type: 'NodePort', selector: { app: 'hello' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
        }),
    ]) {
      try {
        await create();
      } catch (err) {
        if (!isApiError(err, Reason.AlreadyExists)) throw err;
      }
    }
    const svc = await client.get('services', 'default', 'hello');
    const clusterIP = svc.spec?.clusterIP ?? '?';
    const nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    say('Demo: Deployment "hello" (3 replicas of kemu/echo) and Service "hello" (NodePort) in namespace default.');
    say(`  Service hello: ClusterIP ${clusterIP}:80 -> targetPort http (8080), NodePort ${nodePort} on every node`);
    const deadline = Date.now() + 60_000;
    let ready = 0;
    while (Date.now() < deadline) {
      const slices = await client.list('endpointslices', { namespace: 'default', labelSelector: 'kubernetes.io/service-name=hello' });
      ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length;
      if (ready >= 3) break;
      await sleep(250);
    }
    const pods = await client.list('pods', { namespace: 'default', labelSelector: 'app=hello' });
    for (const p of pods.items) {
      const readyCond = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      say(`  Pod ${p.metadata?.name}: ${p.status?.phase ?? '?'}${readyCond ? ', Ready' : ''}, IP ${p.status?.podIP ?? '-'} on ${p.spec?.nodeName ?? '(unscheduled)'}`);
    }
    if (ready < 3) say(`  only ${ready} of 3 endpoints ready after 60 s: see kemu logs`);
    say('');
    say('Reach it (each request is a new connection, so the proxy picks a pod each time):');
    say(`  curl http://${clusterIP}/                  # ClusterIP`);
    for (const n of plan.nodes) say(`  curl http://${n.ip}:${nodePort}/       # NodePort on ${n.name}`);
    say('What answered just now:');
    say(`  ClusterIP ${clusterIP}:80 -> ${await whoAnswers(clusterIP, 80)}`);
    for (const n of plan.nodes) say(`  NodePort  ${n.ip}:${nodePort} -> ${await whoAnswers(n.ip, nodePort)}`);
    say('More to try:');
    say(`  kemu proxy rules --node node-1${sd}        # the node's forwarding table (or curl ${plan.nodes[0]?.opsUrl ?? ''}/rules)`);
    say(`  kemu exec node-2${sd} -- curl -s http://${clusterIP}/   # from a node's IP`);
    say(`  kemu dns query hello${sd}                  # its DNS name, as a pod in default resolves it`);
    say(`  dig @${dnsHost} -p ${dnsPort} _http._tcp.hello.default.svc.cluster.local SRV`);
    say(`  kemu status${sd}; kemu logs node-1 -f${sd}`);
  } finally {
    client.close();
  }
}
