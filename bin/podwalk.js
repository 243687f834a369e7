#!/usr/bin/env node
// Thin shim: argv in, exit code out. Internal errors print one line, not a stack trace.
import { fileURLToPath } from 'node:url';
import { rerunWithHeap } from '../dist/cli/heap.js';
import { oneLine } from '../dist/trace/safe-text.js';

// `podwalk run | head`: the reader went away; stop quietly as other CLI tools do.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  // A big input (a 5,000-node cluster) or a run of many datagrams runs in a child with the heap it needs; others
  // run here. The CLI is loaded only where it runs: a process that hands the run to a child stays small and quick.
  const code = rerunWithHeap(fileURLToPath(import.meta.url), process.argv.slice(2));
  process.exitCode = code ?? (await import('../dist/cli/main.js')).cli(process.argv.slice(2));
} catch (e) {
  // A bug, never the input's fault (exit 3, see the README's exit codes): one escaped, bounded line and how to report it.
  process.stderr.write(`podwalk: internal error: ${oneLine(String(e instanceof Error ? e.message : e), 500)}\npodwalk: this is a bug; please report it with the command line, the scenario file(s) and \`podwalk --version\`\n`);
  process.exitCode = 3;
}
