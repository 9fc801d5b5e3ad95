#!/usr/bin/env node
// The `kemu` command: builds the command tree (program.ts) and runs what argv names.
import { CliError } from './cli-error.js';
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync()
  .catch((err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`kemu: ${(err as Error).message}\n`);
    process.exit(1);
  });
