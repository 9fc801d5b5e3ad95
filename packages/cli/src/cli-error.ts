/**
 * An error the CLI prints as is (no stack) before exiting with `exitCode`. Kept apart from
 * context.ts (which loads the apiserver client) so that main.ts can catch it without
 * loading anything a command does not need.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
