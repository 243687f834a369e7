export * from './events.js';
export { Tracer, type TraceSink } from './tracer.js';
export { renderTable } from './table.js';
export { JsonLinesSink, renderJsonLines } from './jsonl.js';
export { describeEvent, formatTime } from './format.js';
