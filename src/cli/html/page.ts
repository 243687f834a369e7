import type { PageData } from './model.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

/**
 * One self-contained HTML file: the data as a JSON block, the style and the
 * script inline, nothing fetched (it opens from disk, offline). `<` in the
 * data is escaped so no string in a trace can close the script element.
 */
export function renderWalkPage(data: PageData): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const title = escapeHtml(`podwalk: ${data.title}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<label>flow <select id="flow-picker"></select></label>
<button id="prev" type="button" title="previous hop (←)">◀ prev</button>
<button id="next" type="button" title="next hop (→)">next ▶</button>
<span id="counter"></span>
</header>
<main>
<div id="headline"></div>
<div id="drawing"><svg id="topology" role="img" aria-label="cluster topology: the chosen flow's machines and pods"></svg></div>
<div id="side">
<ol id="steps"></ol>
<div id="detail"></div>
</div>
<div id="notes"></div>
</main>
<script type="application/json" id="walk-data">${json}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
