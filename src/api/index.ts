/**
 * The library API (`import { Simulation } from 'podwalk'`): load a scenario,
 * send traffic at simulated times, run, query flows and kernel state.
 */
export { Simulation, Results, toNs, type SimulationOptions, type GoldenCheck } from './simulation.js';
export { Flow, type HopFilter, type Packet, type MatchedRule } from './flow.js';
export { scenarioFromFile, scenarioFromObject, scenarioFromYaml, type LoadOptions } from './load.js';
export { type SendSpec, type TcpSendSpec, type UdpSendSpec, type SctpSendSpec, type IcmpSendSpec, type ExpectSpec, type ExpectFields, type ExpectModeFields, type CountRange, type PolicySpec, type IngressRuleSpec, type SimTime } from './send.js';
export { type KernelState } from './state.js';
export { ScenarioError, UsageError } from './errors.js';
