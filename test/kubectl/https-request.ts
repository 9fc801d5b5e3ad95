import { request } from 'node:https';

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpsRequest {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Read at most this long (for watches): the response so far is returned. */
  readMs?: number;
}

/** One HTTPS request to the apiserver's Kubernetes API, trusting its certificate `ca`. */
export function kubeRequest(url: string, ca: string, o: HttpsRequest = {}): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers['authorization'] = `Bearer ${o.token}`;
    // A connection per request (agent: false): no reuse of a socket the server is closing.
    const req = request(url, { method: o.method ?? 'GET', headers, ca, agent: false }, (res) => {
      let body = '';
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: <T>() => JSON.parse(body) as T,
        });
      };
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', done);
      res.on('error', reject);
      if (o.readMs !== undefined) {
        timer = setTimeout(() => {
          res.removeListener('end', done);
          res.destroy();
          done();
        }, o.readMs);
      }
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
