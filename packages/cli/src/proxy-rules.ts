import { isApiError, Reason, type KubeClient } from '@kemu/api';
import { CliError } from './context.js';
import { grpcMessage } from './lifecycle/grpc-message.js';
import { fetchText } from '@kemu/common/fetch';

/**
 * The forwarding table of one node as its agent prints it (GET /rules on the agent's ops
 * port): the node's InternalIP comes from its Node object.
 */
export async function proxyRules(client: KubeClient, apiservers: readonly string[], node: string, service?: string): Promise<string> {
  let ip: string | undefined;
  try {
    const n = await client.get('nodes', '', node);
    ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  } catch (err) {
    if (isApiError(err, Reason.NotFound)) throw new CliError(`Error from server (NotFound): nodes "${node}" not found`, 1, { cause: err });
    throw new CliError(`cannot reach the apiserver at ${apiservers.join(', ')}: ${grpcMessage(err)}`, 1, { cause: err });
  }
  if (!ip) throw new CliError(`node ${node} has no InternalIP address`);
  const url = `http://${ip}:10256/rules${service ? `?service=${encodeURIComponent(service)}` : ''}`;
  try {
    return (await fetchText(url, 5000)).text;
  } catch (err) {
    throw new CliError(`node agent of ${node} does not answer at ${url}: ${(err as Error).message}`, 1, { cause: err });
  }
}
