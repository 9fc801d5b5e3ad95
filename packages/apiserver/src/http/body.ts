import type { IncomingMessage } from 'node:http';
import { ApiError, errors } from '@kemu/api';
import { parse as parseYaml } from 'yaml';
import type { BodyFormat } from './content.js';
import { decodeKubeProtobuf } from './k8s-protobuf.js';

/** kube-apiserver's default limit on a request body (--max-request-bytes is 3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** A body this many times over the limit is not drained further: the connection is closed. */
const DRAIN_FACTOR = 8;

export function tooLarge(limit: number): ApiError {
  return new ApiError({
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `Request entity too large: limit is ${limit}`,
    reason: 'RequestEntityTooLarge',
    code: 413,
  });
}

/**
 * Reads a request body of at most `limit` bytes. A larger body is a 413 Status; it is
 * still read to its end (up to a bound) so that the client gets to read the answer
 * instead of a reset connection. Nothing is parsed or written before the whole body is in.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        if (size > limit * DRAIN_FACTOR) {
          req.destroy();
          reject(tooLarge(limit));
        }
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (over ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', (err) => reject(errors.badRequest(`reading the request body: ${err.message}`)));
  });
}

/**
 * Parses a JSON, YAML or Kubernetes protobuf request body. Empty bodies and malformed documents are 400
 * BadRequest, with the parser's reason.
 */
export function parseBody(buf: Buffer, format: BodyFormat): unknown {
  if (format === 'protobuf') return decodeKubeProtobuf(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty: an object is required');
  try {
    return format === 'yaml' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}
