#!/usr/bin/env node
// Thin shim: argv in, exit code out. Internal errors print one line, not a stack trace.
import { fileURLToPath } from 'node:url';
import { rerunWithHeap } from '../dist/cli/heap.js';
import { cli } from '../dist/cli/main.js';

// `podwalk run | head`: the reader went away; stop quietly as other CLI tools do.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  // A big input (a 5,000-node cluster) runs in a child with a larger heap; small ones run here.
  const code = rerunWithHeap(fileURLToPath(import.meta.url), process.argv.slice(2));
  process.exitCode = code ?? cli(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`podwalk: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 3;
}
