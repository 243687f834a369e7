import { stringify } from 'yaml';
import { loadScenarioFile, loadScenarioText } from '../scenario/load/parse.js';
import type { Scenario } from '../scenario/types.js';
import { checkOptions, notPlainData, requireObject, requireString } from './check-args.js';
import { ScenarioError } from './errors.js';

export interface LoadOptions {
  /** Override the scenario's `cluster.seed`. */
  seed?: number;
  /** Override the scenario's `cluster.proxyMode` (as `podwalk run --proxy-mode`): replay one file in both modes. */
  proxyMode?: 'iptables' | 'ipvs' | 'nftables';
  /** Name used in error messages; `include:` paths are relative to its directory (default `<inline>` / `<object>`, i.e. the working directory). */
  file?: string;
}

/** A scenario from a file, as `podwalk run FILE` reads it. Throws ScenarioError on invalid input. */
export function scenarioFromFile(path: string, opts: Pick<LoadOptions, 'seed' | 'proxyMode'> = {}): Scenario {
  requireString(path, 'path');
  checkOptions(opts);
  return unwrap(loadScenarioFile(path, seedOf(opts)));
}

/** A scenario from YAML text. Throws ScenarioError on invalid input. */
export function scenarioFromYaml(text: string, opts: LoadOptions = {}): Scenario {
  requireString(text, 'text');
  checkOptions(opts);
  return unwrap(loadScenarioText(text, opts.file ?? '<inline>', seedOf(opts)));
}

/**
 * A scenario from a plain object shaped like the YAML file (`{apiVersion,
 * kind, metadata, cluster, resources, traffic}`). It goes through the same
 * validation as a file: error positions then point into the object written
 * out as YAML, and the field path names the offending field.
 */
export function scenarioFromObject(obj: object, opts: LoadOptions = {}): Scenario {
  requireObject(obj, 'obj');
  checkOptions(opts);
  const bad = notPlainData(obj);
  if (bad) throw new ScenarioError([{ file: opts.file ?? '<object>', line: 1, col: 1, path: bad.path, message: bad.why }]);
  return unwrap(loadScenarioText(stringify(obj), opts.file ?? '<object>', seedOf(opts)));
}

function seedOf(opts: Pick<LoadOptions, 'seed' | 'proxyMode'>): Pick<LoadOptions, 'seed' | 'proxyMode'> {
  return { ...(opts.seed === undefined ? {} : { seed: opts.seed }), ...(opts.proxyMode === undefined ? {} : { proxyMode: opts.proxyMode }) };
}

function unwrap(r: ReturnType<typeof loadScenarioText>): Scenario {
  if (!r.ok) throw new ScenarioError(r.problems);
  return r.scenario;
}
