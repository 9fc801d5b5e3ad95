/** Thrown when a history or an operation breaks the input contract of the checker or a model. */
export class LincheckInputError extends Error {
  override readonly name = 'LincheckInputError';
}

/** Exhaustiveness guard for discriminated unions. */
export function assertNever(value: never, what: string): never {
  throw new LincheckInputError(`lincheck: unexpected ${what}: ${JSON.stringify(value)}`);
}
