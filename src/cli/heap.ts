import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/**
 * Node's heap as some runs need it, set by the CLI itself rather than asking
 * users for `node --max-old-space-size=…`: a run that needs other V8 heap
 * flags runs in a child process started with them (flags that size the heap
 * are read once, when the process starts). Small runs pay nothing.
 *
 * - A big input (Kubernetes' largest supported cluster — 5,000 nodes,
 *   150,000 pods, 10,000 Services — peaks at several GB) gets a larger old
 *   generation than Node's default (about 4 GB on a 64-bit machine), and a
 *   larger young generation: building a big cluster allocates objects that
 *   nearly all live on, and fewer scavenges copy them less often (5,000-node
 *   load and build: about a tenth less CPU, 120 MB more RSS).
 * - A run of many datagrams (`count:` items) gets a full-size young
 *   generation from the start. V8 starts it at 1 MB and doubles it only as
 *   scavenges find survivors; meanwhile each scavenge copies the run's
 *   results — which live on — and promotes in-flight packets early. A run of
 *   100,000 datagrams across two nodes: 18 % less CPU and 35 % less peak RSS
 *   (5.2 → 4.3 s, 158 → 102 MB); from about 5,000 datagrams on it gains more
 *   than a second process start costs.
 */

/** Inputs from this size up get the larger heap. */
const BIG_INPUT_BYTES = 8 * 2 ** 20;
/** The heap asked for: three quarters of the machine's memory, at most 16 GiB. */
const wantedHeapMb = (): number => Math.min(16_384, Math.floor((0.75 * totalmem()) / 2 ** 20));
/** A big input's young generation (its upper bound; V8 still starts small). */
const BIG_INPUT_YOUNG_GENERATION = '--max-semi-space-size=64';
/** Runs of at least this many datagrams get a full young generation from the start. */
export const MANY_DATAGRAMS = 20_000;
/** The young generation's semi-spaces at their default maximum (16 MB) from the start. */
export const YOUNG_GENERATION_FROM_START = '--min-semi-space-size=16';
/** Set in the child so that it never re-runs itself. */
const MARK = 'PODWALK_HEAP_RAISED';

/**
 * The datagrams the `count:` fields of a scenario's text add up to. Read from
 * the text, not the parsed scenario: deciding must cost next to nothing, and
 * a wrong guess (a `count:` that is not a traffic item's) costs only a process
 * start — the flags change how fast a run goes, never what it prints.
 */
export function countedDatagrams(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/(?:^|[\s{,'"])count['"]?\s*:\s*(\d+)/g)) n += Number(m[1]);
  return n;
}

/** The V8 flags a command line needs that this process was not started with (empty: run here). */
export function heapFlagsFor(args: readonly string[]): string[] {
  if (process.env[MARK]) return [];
  let big = false;
  let datagrams = 0;
  for (const a of args) {
    let size: number;
    try {
      const st = statSync(a);
      if (!st.isFile()) continue;
      size = st.size;
    } catch {
      continue;
    }
    if (size >= BIG_INPUT_BYTES) big = true;
    else if (args[0] === 'run') datagrams += countedDatagrams(readFileSync(a, 'utf8'));
  }
  const flags: string[] = [];
  if (big) {
    const want = wantedHeapMb();
    if (getHeapStatistics().heap_size_limit / 2 ** 20 < want) flags.push(`--max-old-space-size=${want}`, BIG_INPUT_YOUNG_GENERATION);
  }
  if (datagrams >= MANY_DATAGRAMS && !process.execArgv.some((f) => f.startsWith('--min-semi-space-size'))) flags.push(YOUNG_GENERATION_FROM_START);
  return flags;
}

/** Run `script` again with the heap flags `args` need; returns its exit code, or undefined to carry on here. */
export function rerunWithHeap(script: string, args: readonly string[]): number | undefined {
  const flags = heapFlagsFor(args);
  if (flags.length === 0) return undefined;
  const r = spawnSync(process.execPath, [...process.execArgv, ...flags, script, ...args], { stdio: 'inherit', env: { ...process.env, [MARK]: '1' } });
  if (r.error) return undefined; // could not start: carry on with the default heap
  return r.status ?? 1;
}
