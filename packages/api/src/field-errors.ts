import { apiError, Reason, type ApiError } from './errors.js';
import type { StatusCause } from './gen/kemu/api/meta.js';

/**
 * A path into an object, printed as Kubernetes prints field paths:
 * `spec.ports[0].nodePort`, `metadata.labels[app]`.
 */
export class FieldPath {
  private constructor(private readonly path: string) {}
  static root(...names: string[]): FieldPath {
    return new FieldPath('').child(...names);
  }
  child(...names: string[]): FieldPath {
    let p = this.path;
    for (const n of names) p = p ? `${p}.${n}` : n;
    return new FieldPath(p);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.path}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.path}[${k}]`);
  }
  toString(): string {
    return this.path;
  }
}

/** Kubernetes' field.ErrorType, with the text it prints. */
export const FieldErrorType = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  Forbidden: 'FieldValueForbidden',
  NotFound: 'FieldValueNotFound',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
} as const;
export type FieldErrorType = (typeof FieldErrorType)[keyof typeof FieldErrorType];

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotFound: 'Not found',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
};

/** One problem with one field, printed like Kubernetes' field.Error. */
export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly value: unknown,
    readonly detail: string,
  ) {}

  toString(): string {
    const head = `${this.field}: ${TYPE_TEXT[this.type]}`;
    switch (this.type) {
      case FieldErrorType.Required:
      case FieldErrorType.Forbidden:
      case FieldErrorType.TooLong:
        return this.detail ? `${head}: ${this.detail}` : head;
      default: {
        const v = this.value === undefined ? '' : `: ${formatValue(this.value)}`;
        return this.detail ? `${head}${v}: ${this.detail}` : `${head}${v}`;
      }
    }
  }
}

/** A value printed verbatim in a field error, e.g. Go's `[]string{"10.0.0.1"}`. */
export class GoLiteral {
  constructor(readonly text: string) {}
}

/** Values print as Go's %v/%q would: strings quoted, numbers and booleans bare. */
export function formatValue(v: unknown): string {
  if (v instanceof GoLiteral) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  return JSON.stringify(v);
}

export const fieldErrors = {
  required: (p: FieldPath | string, detail = ''): FieldError =>
    new FieldError(FieldErrorType.Required, String(p), undefined, detail),
  invalid: (p: FieldPath | string, value: unknown, detail: string): FieldError =>
    new FieldError(FieldErrorType.Invalid, String(p), value, detail),
  notSupported: (p: FieldPath | string, value: unknown, supported: readonly string[]): FieldError =>
    new FieldError(
      FieldErrorType.NotSupported,
      String(p),
      value,
      supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '',
    ),
  duplicate: (p: FieldPath | string, value: unknown): FieldError =>
    new FieldError(FieldErrorType.Duplicate, String(p), value, ''),
  forbidden: (p: FieldPath | string, detail: string): FieldError =>
    new FieldError(FieldErrorType.Forbidden, String(p), undefined, detail),
  notFound: (p: FieldPath | string, value: unknown): FieldError =>
    new FieldError(FieldErrorType.NotFound, String(p), value, ''),
  tooMany: (p: FieldPath | string, actual: number, max: number): FieldError =>
    new FieldError(FieldErrorType.TooMany, String(p), actual, `must have at most ${max} items`),
};

/**
 * The 422 Invalid error for a list of field errors:
 * `Service "web" is invalid: spec.ports[0].port: Required value`.
 */
export function invalidError(kind: string, name: string, group: string, errs: readonly FieldError[]): ApiError {
  const texts = errs.map((e) => e.toString());
  const joined = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  const causes: StatusCause[] = errs.map((e) => ({
    reason: e.type,
    message: e.toString().slice(e.field.length + 2),
    field: e.field,
  }));
  return apiError(Reason.Invalid, `${kind} "${name}" is invalid: ${joined}`, { resource: kind, kind, group, name }, causes);
}
