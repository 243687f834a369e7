export * from './events.js';
export { Tracer } from './tracer.js';
export { renderTable } from './table.js';
export { renderJsonLines } from './jsonl.js';
export { describeEvent, formatTime } from './format.js';
