#!/usr/bin/env node
// Thin shim: argv in, exit code out. Internal errors print one line, not a stack trace.
import { cli } from '../dist/cli/main.js';

// `podwalk run | head`: the reader went away; stop quietly as other CLI tools do.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  process.exitCode = cli(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`podwalk: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 3;
}
