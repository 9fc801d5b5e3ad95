import { isApiError, KubeClient, Reason } from '@kemu/api';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * The `kemu up --demo` walk-through: a Deployment and a Service, and what the control
 * plane made of them. Objects are created once; a second run shows the same ones.
 */
export async function runDemo(endpoint: string, token: string): Promise<void> {
  const client = new KubeClient({ endpoints: [endpoint], token });
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
              spec: { containers: [{ name: 'hello', image: 'kemu/http-echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
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
    say('Demo: Deployment "hello" (3 replicas) and Service "hello" (NodePort) in namespace default.');
    say(`  Service hello: ClusterIP ${svc.spec?.clusterIP ?? '?'}, port 80 -> targetPort http, nodePort ${svc.spec?.ports?.[0]?.nodePort ?? '?'}`);
    await new Promise((r) => setTimeout(r, 1500));
    const rs = await client.list('replicasets', { namespace: 'default', labelSelector: 'app=hello' });
    const pods = await client.list('pods', { namespace: 'default', labelSelector: 'app=hello' });
    say(`  ReplicaSets: ${rs.items.map((r) => r.metadata?.name).join(', ') || '(none yet)'}`);
    for (const p of pods.items) {
      const cond = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
      say(`  Pod ${p.metadata?.name}: ${p.status?.phase ?? '?'}${cond?.status === 'False' ? ` (${cond.message ?? cond.reason ?? 'unschedulable'})` : ''}`);
    }
    const kube = await client.get('endpoints', 'default', 'kubernetes');
    say(`  Service kubernetes: ClusterIP 127.96.0.1:443 -> ${kube.subsets?.[0]?.addresses?.map((a) => a.ip).join(', ') ?? '(none)'}`);
    say('  Pods stay Pending until node agents register nodes to run them on.');
  } finally {
    client.close();
  }
}
