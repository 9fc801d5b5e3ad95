/** Exhaustiveness check for discriminated unions: a compile error when a case is missed. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
