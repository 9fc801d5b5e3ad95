import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** Cluster and context name. */
  name: string;
  /** https://host:port of the apiserver's Kubernetes API. */
  server: string;
  /** The CA certificate (PEM), base64-encoded as certificate-authority-data. */
  caBase64: string;
  token: string;
}

/** A kubeconfig with one cluster, one bearer-token user and one context in namespace default. */
export function kubeconfigYaml(o: KubeconfigOptions): string {
  const user = `${o.name}-admin`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: o.name, cluster: { server: o.server, 'certificate-authority-data': o.caBase64 } }],
    users: [{ name: user, user: { token: o.token } }],
    contexts: [{ name: o.name, context: { cluster: o.name, user, namespace: 'default' } }],
    'current-context': o.name,
  });
}
