/** The page's stylesheet: inline, so the file opens offline. */
export const PAGE_STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f7f8fa; }
header { padding: 10px 16px; background: #1d2430; color: #fff; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header select, header button { font: inherit; padding: 3px 8px; }
#counter { font-variant-numeric: tabular-nums; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr); gap: 12px; padding: 12px 16px; }
#headline { grid-column: 1 / -1; font-family: ui-monospace, monospace; white-space: pre-wrap; background: #fff; border: 1px solid #d8dde5; border-radius: 6px; padding: 8px 10px; }
#headline.dropped { border-color: #c0392b; }
#drawing { min-width: 0; overflow: auto; background: #fff; border: 1px solid #d8dde5; border-radius: 6px; align-self: start; }
svg { display: block; width: 100%; height: auto; }
.machine rect.box { fill: #eef2f7; stroke: #9aa7b8; }
.machine.underlay rect.box { fill: #f3efe6; }
.machine text.label, .folded text.label { font-size: 12px; font-weight: 600; fill: #334; }
.pod text.label { font-size: 11px; font-family: ui-monospace, monospace; font-weight: 600; fill: #334; }
.pod text.ns { font-size: 10px; fill: #56657a; }
.folded rect.box { fill: #f7f8fa; stroke: #9aa7b8; stroke-dasharray: 2 3; }
.pod rect.box { fill: #fff; stroke: #b4bfcc; stroke-dasharray: 4 3; }
.dev rect { fill: #fff; stroke: #6b7a90; rx: 4; }
.dev text { font-size: 11px; font-family: ui-monospace, monospace; fill: #223; pointer-events: none; }
.dev.kind-bridge rect { fill: #e6f0ff; }
.dev.kind-vxlan rect, .dev.kind-tun rect { fill: #efe6ff; }
.dev.kind-uplink rect { fill: #e7f6ec; }
.dev.onpath rect { stroke: #2471d6; stroke-width: 2.5; }
.dev.current rect { fill: #ffe58a; stroke: #b8860b; stroke-width: 3; }
.dev.drop rect, .machine.drop rect.box { fill: #f8d0cb; stroke: #c0392b; stroke-width: 3; }
.machine.current rect.box { stroke: #b8860b; stroke-width: 3; }
line.link { stroke: #9aa7b8; stroke-width: 1.5; }
line.link.onpath { stroke: #2471d6; stroke-width: 3; }
polyline.walk { fill: none; stroke: #2471d6; stroke-opacity: 0.35; stroke-width: 5; stroke-dasharray: 10 6; stroke-linejoin: round; }
#side { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
#steps { margin: 0; padding: 6px 6px 6px 34px; background: #fff; border: 1px solid #d8dde5; border-radius: 6px; max-height: 320px; overflow: auto; font-family: ui-monospace, monospace; font-size: 12px; }
#steps li { padding: 2px 4px; cursor: pointer; border-radius: 3px; }
#steps li .where { color: #56657a; }
#steps li.current { background: #ffe58a; }
#steps li:focus-visible { outline: 2px solid #3b6fd6; outline-offset: 1px; }
#steps li.bad { color: #b02a1c; }
#steps li.good { color: #1d7a3a; }
#steps li.note { color: #8a5a00; }
#detail { background: #fff; border: 1px solid #d8dde5; border-radius: 6px; padding: 8px 10px; overflow: auto; }
#detail h2 { font-size: 14px; margin: 0 0 6px; }
#detail table { border-collapse: collapse; font-family: ui-monospace, monospace; font-size: 12px; }
#detail td { padding: 1px 8px 1px 0; vertical-align: top; }
#detail pre { white-space: pre-wrap; word-break: break-all; font-size: 11px; background: #f3f5f8; padding: 6px; margin: 6px 0; }
#detail.drop { border-color: #c0392b; background: #fff6f5; }
#notes { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; color: #56657a; grid-column: 1 / -1; }
/* Narrow screens: the drawing above the hop list, each the full width. */
@media (max-width: 900px) {
  main { grid-template-columns: minmax(0, 1fr); padding: 8px; }
  #steps { max-height: 240px; }
}
`;
