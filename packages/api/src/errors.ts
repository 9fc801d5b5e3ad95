import type { Status, StatusCause } from './gen/kemu/api/meta.js';

/** Kubernetes' StatusReason values kemu uses. */
export const Reason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  Gone: 'Gone',
  Expired: 'Expired',
  MethodNotAllowed: 'MethodNotAllowed',
  Timeout: 'Timeout',
  ServiceUnavailable: 'ServiceUnavailable',
  InternalError: 'InternalError',
  UnsupportedMediaType: 'UnsupportedMediaType',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const CODES: Record<Reason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  UnsupportedMediaType: 415,
  Invalid: 422,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/**
 * A failed API request, carrying the Kubernetes Status object that explains it. Servers
 * throw these; the one boundary per server turns them into gRPC or HTTP errors, and
 * clients turn those back into an ApiError with the same status.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: Status,
    options?: { cause?: unknown },
  ) {
    super(status.message ?? status.reason ?? 'unknown error', options);
  }
  get reason(): Reason {
    return (this.status.reason ?? Reason.InternalError) as Reason;
  }
  get code(): number {
    return this.status.code ?? 500;
  }
}

export interface StatusTarget {
  resource: string;
  group?: string;
  kind?: string;
  name?: string;
}

export function apiError(
  reason: Reason,
  message: string,
  target?: StatusTarget,
  causes?: StatusCause[],
  cause?: unknown,
): ApiError {
  const status: Status = {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code: CODES[reason],
  };
  if (target || causes) {
    status.details = {};
    if (target?.name) status.details.name = target.name;
    if (target?.group) status.details.group = target.group;
    if (target?.kind ?? target?.resource) status.details.kind = target?.kind ?? target?.resource;
    if (causes?.length) status.details.causes = causes;
  }
  return new ApiError(status, { cause });
}

const qualified = (t: StatusTarget): string => (t.group ? `${t.resource}.${t.group}` : t.resource);

export const errors = {
  notFound: (t: StatusTarget): ApiError => apiError(Reason.NotFound, `${qualified(t)} "${t.name ?? ''}" not found`, t),
  alreadyExists: (t: StatusTarget): ApiError =>
    apiError(Reason.AlreadyExists, `${qualified(t)} "${t.name ?? ''}" already exists`, t),
  conflict: (t: StatusTarget, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError =>
    apiError(Reason.Conflict, `Operation cannot be fulfilled on ${qualified(t)} "${t.name ?? ''}": ${why}`, t),
  badRequest: (message: string): ApiError => apiError(Reason.BadRequest, message),
  expired: (message: string): ApiError => apiError(Reason.Expired, message),
  gone: (message: string): ApiError => apiError(Reason.Gone, message),
  unauthorized: (): ApiError => apiError(Reason.Unauthorized, 'Unauthorized'),
  forbidden: (message: string): ApiError => apiError(Reason.Forbidden, message),
  methodNotAllowed: (message: string): ApiError => apiError(Reason.MethodNotAllowed, message),
  internal: (message: string, cause?: unknown): ApiError =>
    apiError(Reason.InternalError, `Internal error occurred: ${message}`, undefined, undefined, cause),
  unavailable: (message: string, cause?: unknown): ApiError =>
    apiError(Reason.ServiceUnavailable, message, undefined, undefined, cause),
  timeout: (message: string): ApiError => apiError(Reason.Timeout, message),
};

export function isApiError(err: unknown, reason?: Reason): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}
