export * from './events.js';
export { Tracer, type TraceSink } from './tracer.js';
export { CreateFrameEvent, FrameEvent, settled } from './framed.js';
export { renderTable } from './table.js';
export { JsonLinesSink, renderJsonLines } from './jsonl.js';
export { describeEvent, formatTime } from './format.js';
