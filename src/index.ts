/**
 * podwalk's library entry point: load a scenario, simulate it, read the flows
 * and the trace. `import { loadScenario, simulate } from 'podwalk'`.
 */
export { loadScenarioFile, loadScenarioText, formatProblem, type LoadResult } from './scenario/load/parse.js';
export { loadScenarioFile as loadScenario } from './scenario/load/parse.js';
export { simulate, DEFAULT_EVENT_BUDGET, type RunResult, type SimulateOptions } from './scenario/run/simulate.js';
export { checkExpectation, checkExpectations, type Mismatch } from './scenario/run/expect.js';
export type { FlowResult } from './scenario/run/flows.js';
export type * from './scenario/types.js';
export * from './trace/index.js';
export { cli } from './cli/main.js';
// The test-author API (Simulation, Results, Flow) and its helpers; matchers are in 'podwalk/vitest'.
export * from './api/index.js';
export { ScenarioRun } from './scenario/run/simulate.js';
