/**
 * The page's script (plain browser JavaScript, inline): lays the cluster out
 * as SVG, lists a flow's steps and steps through them. Reads the data from
 * the `#walk-data` JSON block. No network, no libraries.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  const data = JSON.parse(document.getElementById('walk-data').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.getElementById('topology');
  const drawing = document.getElementById('drawing');
  const pos = new Map();
  const el = (tag, attrs, parent) => {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  };
  const text = (s, attrs, parent) => { const t = el('text', attrs, parent); t.textContent = s; return t; };

  // Layout: machines side by side; in a node, pods on top, their veths, the bridge, overlay devices, the NIC; the underlay switch below all.
  // A real cluster has too much to draw legibly, so the drawing is the chosen flow's: a node with more than MAX_PODS pods shows
  // the pods on the flow's path and folds the rest into one "+N pods" box; more than MAX_MACHINES machines show those on the
  // path and fold the rest into one box. The SVG never shrinks below MIN_SCALE (its container scrolls instead).
  const DW = 120, DH = 24, POD_W = 140, TOP = 40, MAX_PODS = 4, MAX_MACHINES = 6, MIN_SCALE = 0.8;
  const Y = { pod: TOP + 30, veth: TOP + 140, bridge: TOP + 190, other: TOP + 240, uplink: TOP + 290, port: TOP + 370, sw: TOP + 430 };
  const allMachines = data.machines.filter((m) => m.role !== 'underlay');
  const underlay = data.machines.find((m) => m.role === 'underlay');
  let devLayer, linkLayer, boxLayer, walkLayer;
  const peerOf = new Map();
  for (const [a, b] of data.links) { if (!peerOf.has(a)) peerOf.set(a, []); if (!peerOf.has(b)) peerOf.set(b, []); peerOf.get(a).push(b); peerOf.get(b).push(a); }
  const nsOf = (at) => { const i = at.lastIndexOf(':'); return i < 0 ? at : at.slice(0, i); };
  const drawDev = (d, x, y, w) => {
    const g = el('g', { class: 'dev kind-' + d.kind, 'data-at': d.at }, devLayer);
    const title = el('title', {}, g); title.textContent = d.at + ' (' + d.kind + ')' + (d.addrs.length ? ' ' + d.addrs.join(' ') : '');
    el('rect', { x: x, y: y, width: w || DW, height: DH }, g);
    text(d.name, { x: x + 6, y: y + 16 }, g);
    pos.set(d.at, { x: x, y: y, w: w || DW, h: DH });
  };
  const folded = (x, y, w, h, label, names, parent) => {
    const g = el('g', { class: 'folded' }, parent);
    el('rect', { class: 'box', x: x, y: y, width: w, height: h, rx: 6 }, g);
    text(label, { class: 'label', x: x + 6, y: y + 16 }, g);
    el('title', {}, g).textContent = names.slice(0, 40).join('\n') + (names.length > 40 ? '\n… and ' + (names.length - 40) + ' more' : '');
  };
  function layout(flow) {
    svg.innerHTML = '';
    pos.clear();
    devLayer = el('g', {}, null); linkLayer = el('g', {}, null); boxLayer = el('g', {}, null); walkLayer = el('g', {}, null);
    const touched = new Set((flow ? flow.path.concat(flow.steps.map((s) => s.at)) : []).map(nsOf));
    const foldMachines = allMachines.length > MAX_MACHINES;
    const machines = foldMachines ? allMachines.filter((m) => touched.has(m.name) || m.pods.some((p) => touched.has(p.name))) : allMachines;
    const hidden = allMachines.filter((m) => !machines.includes(m));
    const shown = new Set(machines.map((m) => m.name));
    let x = 10;
    for (const m of machines) {
      const pods = m.pods.length > MAX_PODS ? m.pods.filter((p) => touched.has(p.name)) : m.pods;
      const rest = m.pods.filter((p) => !pods.includes(p));
      const slots = pods.length + (rest.length ? 1 : 0);
      const skip = new Set();
      for (const p of rest) for (const d of p.devices) for (const peer of peerOf.get(d.at) || []) skip.add(peer);
      // The devices drawn side by side in a row of their own (flannel.1, kube-ipvs0, ...) widen the machine too:
      // a node with one pod and two of them drew the second over the next machine.
      const underPods = new Set();
      for (const p of pods) for (const d of p.devices) for (const peer of peerOf.get(d.at) || []) underPods.add(peer);
      const loose = m.devices.filter((d) => d.kind !== 'bridge' && d.kind !== 'uplink' && !underPods.has(d.at) && !skip.has(d.at)).length;
      const width = Math.max(1, slots, loose) * POD_W + 20;
      const g = el('g', { class: 'machine ' + m.role, 'data-ns': m.name }, boxLayer);
      el('rect', { class: 'box', x: x, y: TOP, width: width - 10, height: Y.uplink + DH + 16 - TOP, rx: 8 }, g);
      text(m.name + (m.role === 'node' ? '' : ' (' + m.role + ')'), { class: 'label', x: x + 8, y: TOP + 16 }, g);
      pods.forEach((p, i) => {
        const px = x + 10 + i * POD_W;
        const pg = el('g', { class: 'pod', 'data-ns': p.name }, boxLayer);
        el('rect', { class: 'box', x: px, y: Y.pod, width: POD_W - 14, height: 84, rx: 6 }, pg);
        // The name with its distinguishing end kept (replicas differ only there), the namespace under it; the full name on hover.
        el('title', {}, pg).textContent = p.name;
        text(p.label, { class: 'label', x: px + 6, y: Y.pod + 15 }, pg);
        text(p.namespace, { class: 'ns', x: px + 6, y: Y.pod + 29 }, pg);
        p.devices.forEach((d, k) => drawDev(d, px + 6, Y.pod + 40 + k * (DH + 4), POD_W - 26));
        // The node side of the pod's veth pair goes under the pod.
        for (const d of p.devices) for (const peer of peerOf.get(d.at) || []) {
          const vd = m.devices.find((n) => n.at === peer);
          if (vd) drawDev(vd, px + 6, Y.veth, POD_W - 26);
        }
      });
      if (rest.length) folded(x + 10 + pods.length * POD_W, Y.pod, POD_W - 14, 84, '+' + rest.length + ' pod' + (rest.length > 1 ? 's' : ''), rest.map((p) => p.name), boxLayer);
      let ox = x + 10;
      for (const d of m.devices) {
        if (pos.has(d.at) || skip.has(d.at)) continue;
        if (d.kind === 'bridge') drawDev(d, x + 10, Y.bridge, width - 30);
        else if (d.kind === 'uplink') drawDev(d, x + (width - 10 - DW) / 2, Y.uplink);
        else { drawDev(d, ox, d.kind === 'veth' ? Y.veth : Y.other); ox += DW + 10; }
      }
      x += width;
    }
    if (hidden.length) {
      folded(x, TOP, POD_W, Y.uplink + DH + 16 - TOP, '+' + hidden.length + ' more', hidden.map((m) => m.name + (m.pods.length ? ' (' + m.pods.length + ' pods)' : '')), boxLayer);
      x += POD_W + 10;
    }
    const total = x;
    if (underlay) {
      const g = el('g', { class: 'machine underlay', 'data-ns': underlay.name }, boxLayer);
      el('rect', { class: 'box', x: 10, y: Y.port - 24, width: total - 20, height: Y.sw + DH + 10 - (Y.port - 24), rx: 8 }, g);
      text(underlay.name + ' (switch)', { class: 'label', x: 18, y: Y.port - 8 }, g);
      let free = total - DW - 20;
      for (const d of underlay.devices) {
        if (d.kind === 'bridge') { drawDev(d, 20, Y.sw, total - 40); continue; }
        const peers = peerOf.get(d.at) || [];
        if (peers.length && !peers.some((p) => shown.has(nsOf(p)))) continue; // a folded machine's port
        const far = peers.map((p) => pos.get(p)).find((p) => p && p.y === Y.uplink);
        if (far) drawDev(d, far.x, Y.port);
        else { drawDev(d, free, Y.port); free -= DW + 10; }
      }
    }
    for (const [a, b] of data.links) {
      const p = pos.get(a), q = pos.get(b);
      if (!p || !q) continue;
      const top = p.y < q.y ? p : q, bot = p.y < q.y ? q : p;
      el('line', { class: 'link', 'data-a': a, 'data-b': b, x1: top.x + top.w / 2, y1: top.y + top.h, x2: bot.x + bot.w / 2, y2: bot.y }, linkLayer);
    }
    svg.appendChild(boxLayer); svg.appendChild(linkLayer); svg.appendChild(walkLayer); svg.appendChild(devLayer);
    svg.setAttribute('viewBox', '0 0 ' + total + ' ' + (Y.sw + DH + 20));
    // Scaled to the column, but never below MIN_SCALE: a wide drawing scrolls in #drawing rather than shrinking its text away.
    svg.style.minWidth = Math.round(total * MIN_SCALE) + 'px';
  }

  // Stepping.
  const picker = document.getElementById('flow-picker');
  const list = document.getElementById('steps');
  const detail = document.getElementById('detail');
  const counter = document.getElementById('counter');
  let flow = null, index = 0;
  data.flows.forEach((f, i) => { const o = document.createElement('option'); o.value = String(i); o.textContent = f.name + ' (' + f.verdict + ')'; picker.appendChild(o); });
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  function choose(i) {
    flow = data.flows[i];
    index = 0;
    layout(flow);
    const head = document.getElementById('headline');
    head.textContent = flow.headline.join('\n');
    head.className = flow.verdict;
    document.getElementById('notes').textContent = flow.notes.join('\n');
    list.innerHTML = '';
    flow.steps.forEach((s, k) => {
      const li = document.createElement('li');
      li.className = s.tone || '';
      li.dataset.at = s.at;
      li.innerHTML = '<span class="where">' + esc(s.where) + '</span> ' + esc(s.text);
      li.tabIndex = 0; // reachable with Tab; Enter or Space shows it, as a click does
      li.addEventListener('click', () => { index = k; show(); });
      list.appendChild(li);
    });
    show();
  }
  function show() {
    const onPath = new Set(flow.path);
    for (const g of svg.querySelectorAll('.dev')) {
      g.classList.toggle('onpath', onPath.has(g.dataset.at));
      g.classList.remove('current', 'drop');
    }
    for (const g of svg.querySelectorAll('.machine, .pod')) g.classList.remove('current', 'drop');
    for (const l of svg.querySelectorAll('line.link')) l.classList.toggle('onpath', onPath.has(l.dataset.a) && onPath.has(l.dataset.b));
    // The walk itself, device to device in the order crossed (also where no cable joins them: routing, the tunnel).
    walkLayer.innerHTML = '';
    const pts = flow.path.map((at) => pos.get(at)).filter(Boolean).map((p) => (p.x + p.w / 2) + ',' + (p.y + p.h / 2));
    if (pts.length > 1) el('polyline', { class: 'walk', points: pts.join(' ') }, walkLayer);
    // Where the request was dropped stays red whichever hop is shown.
    for (const d of flow.steps) if (d.tone === 'bad' && d.text.startsWith('dropped')) mark(d.at, 'drop');
    const s = flow.steps[index];
    counter.textContent = flow.steps.length ? 'hop ' + (index + 1) + ' of ' + flow.steps.length : 'no hops';
    [...list.children].forEach((li, k) => li.classList.toggle('current', k === index));
    if (!s) { detail.innerHTML = '<h2>never sent</h2>'; return; }
    const hit = mark(s.at, s.tone === 'bad' ? 'drop' : 'current');
    list.children[index].scrollIntoView({ block: 'nearest' });
    // In a drawing wider than its column, bring the hop into view (horizontally only: the page does not jump).
    if (hit && drawing.scrollWidth > drawing.clientWidth) {
      const b = hit.getBoundingClientRect(), c = drawing.getBoundingClientRect();
      if (b.left < c.left || b.right > c.right) drawing.scrollLeft += b.left - c.left - (c.width - b.width) / 2;
    }
    detail.className = s.tone === 'bad' ? 'drop' : '';
    let h = '<h2><span class="where">' + esc(s.at) + '</span></h2><p class="what">' + esc(s.text) + '</p>';
    if (s.details.length) h += '<pre class="rule">' + esc(s.details.join('\n')) + '</pre>';
    if (s.frame) {
      const f = s.frame;
      const row = (k, v) => (v === undefined ? '' : '<tr><td>' + k + '</td><td>' + esc(v) + '</td></tr>');
      h += '<table class="frame">' + row('frame', f.len + ' B ' + f.type) + row('MAC', f.srcMac && (f.srcMac + ' → ' + f.dstMac)) + row('IP', f.src && (f.src + (f.sport !== undefined ? ':' + f.sport : '') + ' → ' + f.dst + (f.dport !== undefined ? ':' + f.dport : ''))) + row('TTL', f.ttl) + row('info', f.info) + '</table>';
    }
    h += '<pre class="events">' + esc(s.events.join('\n')) + '</pre>';
    detail.innerHTML = h;
  }
  function mark(at, cls) {
    const dev = svg.querySelector('.dev[data-at="' + CSS.escape(at) + '"]');
    if (dev) { dev.classList.add(cls); return dev; }
    const box = svg.querySelector('[data-ns="' + CSS.escape(nsOf(at)) + '"]') || svg.querySelector('[data-ns="' + CSS.escape(at) + '"]');
    if (box) box.classList.add(cls);
    return box;
  }
  document.getElementById('next').addEventListener('click', () => { if (flow && index < flow.steps.length - 1) { index++; show(); } });
  document.getElementById('prev').addEventListener('click', () => { if (flow && index > 0) { index--; show(); } });
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return; // the browser's own shortcuts
    const li = e.target instanceof Element ? e.target.closest('#steps li') : null;
    if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); li.click(); return; }
    const next = e.key === 'ArrowRight' || e.key === 'j', prev = e.key === 'ArrowLeft' || e.key === 'k';
    if (!next && !prev) return;
    // On the focused flow picker these keys would choose another flow (or type-ahead): here they step hops, as everywhere.
    if (e.target === picker) e.preventDefault();
    document.getElementById(next ? 'next' : 'prev').click();
  });
  picker.addEventListener('change', () => choose(Number(picker.value)));
  if (data.flows.length) choose(0);
  else layout(null);
})();
`;
