import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runTranscript } from './testing/datadriven.js';
import { InteractionEnv } from './testing/interaction-env.js';

// Compiled tests live in dist/ beside src/; the transcripts stay in src/testdata.
const testdata = process.env.RAFT_TESTDATA ?? fileURLToPath(new URL('../src/testdata/', import.meta.url));
const rewrite = process.env.REWRITE === '1';

describe('raft interaction transcripts', () => {
  for (const file of readdirSync(testdata).filter((f) => f.endsWith('.txt')).sort()) {
    test(file, () => {
      const env = new InteractionEnv();
      const failures = runTranscript(join(testdata, file), (tc) => env.handle(tc), rewrite);
      assert.deepEqual(failures, [], failures.join('\n\n'));
    });
  }
});
