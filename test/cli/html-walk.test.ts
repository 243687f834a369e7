import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageData, podLabel, POD_LABEL_CHARS } from '../../src/cli/html/model.js';
import { cli } from '../../src/cli/main.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const root = join(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`html walk browser test skipped: ${CHROMIUM} is absent (CI installs Debian's chromium; locally: apt-get install chromium)`);

function writePage(scenario: string): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-html-'));
  const file = join(dir, 'walk.html');
  let err = '';
  const path = scenario.includes('/') ? scenario : join(root, 'scenarios', scenario);
  const code = cli(['run', path, '--quiet', '--html', file], { out: () => {}, err: (s) => (err += s) });
  expect(code).toBe(0);
  expect(err).toContain(`html: wrote ${file}`);
  return { file, dir };
}

describe('podwalk run --html', () => {
  it('writes one self-contained page: no external scripts, styles or fetches', () => {
    const html = readFileSync(writePage('classic-walk.yaml').file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('"name":"across-nodes"');
  });
});

/** A cluster as `init` makes of a real one: 20 nodes, 600 pods of 10 Deployments, one flow per Service (reviewer hreview-user #1). */
function bigScenario(): string {
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-html-big-'));
  const file = join(dir, 'big.yaml');
  const nodes = Array.from({ length: 20 }, (_, i) => `    - name: worker${i}`).join('\n');
  const apps = Array.from({ length: 10 }, (_, i) => `  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: app${i}}
    spec:
      replicas: 60
      selector: {matchLabels: {app: app${i}}}
      template:
        metadata: {labels: {app: app${i}}}
        spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}
  - apiVersion: v1
    kind: Service
    metadata: {name: app${i}}
    spec: {selector: {app: app${i}}, ports: [{port: 80}]}`).join('\n');
  writeFileSync(file, `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: big}
cluster:
  nodes:
${nodes}
resources:
${apps}
traffic:
  - {name: one, from: deployment/default/app1, to: service/app0, port: 80}
`);
  return file;
}

describe('pod labels in the drawing', () => {
  it('cut the middle, keeping the end that tells replicas apart (reviewer hreview-user #7)', () => {
    const a = podLabel('web-7d4b9c8f6d-x2k9p');
    const b = podLabel('web-7d4b9c8f6d-q8z7m');
    expect(a).toBe('web-7d4b9c…-x2k9p');
    expect(b).not.toBe(a);
    expect(a.length).toBeLessThanOrEqual(POD_LABEL_CHARS);
    expect(podLabel('coredns-6b7d8f9c5d-lt2wc')).toMatch(/^coredns.*…-lt2wc$/);
    expect(podLabel('client')).toBe('client');
    // No dash near the end: the last characters are kept.
    const long = podLabel('averyveryverylongpodnamewithoutdashes1');
    expect(long.length).toBe(POD_LABEL_CHARS);
    expect(long.endsWith('dashes1')).toBe(true);
  });
});

describe('the HTML page model', () => {
  const loaded = loadScenarioFile(join(root, 'scenarios', 'ingress-host-fanout.yaml'));
  if (!loaded.ok) throw new Error('ingress-host-fanout.yaml does not load');
  const page = buildPageData(simulate(loaded.scenario, { keepTrace: true }));

  it('walks an Ingress flow on through the controller to the backend, as the text walk does', () => {
    const shop = page.flows.find((f) => f.name === 'shop-host')!;
    expect(shop.steps.some((s) => s.text.startsWith('HTTP response read: 200'))).toBe(true);
    expect(shop.steps.some((s) => /^ingress-nginx\/ingress-nginx-controller-/.test(s.at) && s.text.startsWith('delivered to tcp'))).toBe(true);
    expect(shop.steps.some((s) => s.at === 'default/shop:eth0' && s.text.startsWith('delivered to tcp'))).toBe(true);
    expect(shop.path.at(-1)).toBe('default/shop:eth0');
    expect(shop.path[0]).toBe('client:eth0');
  });

  it('a socket\'s or an application\'s step shows no frame (the last one a device saw is another packet\'s)', () => {
    for (const f of page.flows) {
      for (const s of f.steps) if (/^(HTTP |TCP |nginx )/.test(s.text)) expect(s.frame, `${f.name}: ${s.text}`).toBeUndefined();
    }
  });
});

describe.skipIf(!hasChromium)('the HTML walk in Chromium', () => {
  let browser: BrowserContext;
  beforeAll(async () => {
    // A fresh profile each run (Playwright passes it as --user-data-dir), no downloads, no network services.
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'podwalk-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('draws the cluster, steps through the cross-node flow hop by hop, and shows each hop\'s frame', async () => {
    const { file, dir } = writePage('classic-walk.yaml');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    // The drawing: nodes, pods, bridges, veths, the overlay device, NICs, the underlay switch.
    for (const at of ['node1:cbr0', 'node1:flannel.1', 'node1:eth0', 'node2:flannel.1', 'default/pod1:eth0', 'default/pod4:eth0', 'underlay:br0', 'underlay:port-node1']) {
      expect(await page.locator(`g.dev[data-at="${at}"]`).count(), at).toBe(1);
    }
    expect(await page.locator('g.dev.kind-veth').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('line.link').count()).toBeGreaterThan(10);
    await page.selectOption('#flow-picker', { label: 'across-nodes (delivered)' });
    const steps = await page.locator('#steps li').allTextContents();
    expect(steps.length).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#headline').textContent()).toMatch(/across-nodes: TCP, delivered/);
    // Step forward to the encapsulation and check what the page says and highlights.
    const seen: { at: string | null; what: string | null }[] = [];
    for (let i = 0; i < steps.length; i++) {
      seen.push({ at: await page.locator('#steps li.current').getAttribute('data-at'), what: await page.locator('#detail .what').textContent() });
      await page.click('#next');
    }
    const encap = seen.find((s) => s.what?.startsWith('encapsulated VXLAN VNI 1 +50 B'));
    expect(encap?.at).toBe('node1:flannel.1');
    expect(seen.at(-1)?.what).toMatch(/^delivered to tcp 10\.244\.2\.2:8080/);
    expect(seen.map((s) => s.at)).toEqual(expect.arrayContaining(['underlay:br0', 'node2:flannel.1', 'default/pod4:eth0']));
    // On the last hop the delivering device is the current one; the path is drawn.
    expect(await page.locator('g.dev.current').getAttribute('data-at')).toBe('default/pod4:eth0');
    expect(await page.locator('g.dev.onpath').count()).toBeGreaterThanOrEqual(10);
    expect(await page.locator('#detail table.frame').textContent()).toMatch(/10\.244\.1\.2:\d+ → 10\.244\.2\.2:8080/);
    // And back.
    await page.click('#prev');
    expect(await page.locator('#counter').textContent()).toBe(`hop ${steps.length - 1} of ${steps.length}`);
    await page.screenshot({ path: join(dir, 'classic-walk.png'), fullPage: true });
    console.log(`html walk screenshot: ${join(dir, 'classic-walk.png')}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('keyboard: ←/→ step hops even on the focused flow picker (↑/↓ choose the flow); Tab reaches a step, Enter shows it', async () => {
    const { file } = writePage('classic-walk.yaml');
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    const picker = page.locator('#flow-picker');
    await picker.focus();
    const flow = await picker.inputValue();
    await page.keyboard.press('ArrowRight');
    expect(await picker.inputValue()).toBe(flow);
    expect(await page.locator('#counter').textContent()).toMatch(/^hop 2 of \d+$/);
    await page.keyboard.press('j');
    expect(await picker.inputValue()).toBe(flow);
    expect(await page.locator('#counter').textContent()).toMatch(/^hop 3 of \d+$/);
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('#counter').textContent()).toMatch(/^hop 2 of \d+$/);
    await page.keyboard.press('ArrowDown');
    expect(await picker.inputValue()).not.toBe(flow);
    expect(await page.locator('#counter').textContent()).toMatch(/^hop 1 of \d+$/);
    // The steps are in the tab order; Enter on the fourth shows it.
    await page.locator('#steps li').nth(3).focus();
    expect(await page.evaluate('document.activeElement && document.activeElement.tagName')).toBe('LI');
    await page.keyboard.press('Enter');
    expect(await page.locator('#counter').textContent()).toMatch(/^hop 4 of \d+$/);
    // With a modifier it is the browser's key, not a hop.
    await page.keyboard.press('Control+ArrowRight');
    expect(await page.locator('#counter').textContent()).toMatch(/^hop 4 of \d+$/);
    await page.close();
  }, 60_000);

  it('highlights where a denied flow was dropped, with the rule', async () => {
    const { file } = writePage('netpol-service-denied.yaml');
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.selectOption('#flow-picker', { label: 'intruder-via-service (dropped)' });
    expect(await page.locator('#headline').getAttribute('class')).toBe('dropped');
    // The drop step (the client's TCP socket comes after it: its retransmissions and, last, its timeout).
    await page.locator('#steps li', { hasText: 'dropped: policy-denied' }).first().click();
    expect(await page.locator('#detail').getAttribute('class')).toBe('drop');
    expect(await page.locator('#detail .what').textContent()).toBe('dropped: policy-denied');
    expect(await page.locator('#detail pre.rule').textContent()).toMatch(/^-A NETPOL-ING-[0-9A-F]+ .* -j DROP$/);
    expect(await page.locator('.drop').count()).toBeGreaterThanOrEqual(1);
    await page.close();
  }, 60_000);

  it('no device box overlaps another: a node with one pod and two devices of its own (flannel.1, kube-ipvs0) is wide enough', async () => {
    const scenario = join(mkdtempSync(join(tmpdir(), 'podwalk-html-ipvs-')), 'one-pod.yaml');
    writeFileSync(
      scenario,
      [
        'apiVersion: podwalk/v1alpha1', 'kind: Scenario', 'metadata: {name: one-pod}', 'cluster: {proxyMode: ipvs, dns: false, nodes: [{name: node1}, {name: node2}]}', 'resources:',
        '  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}}',
        '  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: x}]}}',
        'traffic: [{name: t, from: pod/b, to: pod/a, port: 80}]', '',
      ].join('\n'),
    );
    const { file } = writePage(scenario);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    const overlaps = (await page.evaluate(`(() => {
      const boxes = [...document.querySelectorAll('svg g.dev')].map((g) => ({ at: g.getAttribute('data-at'), r: g.querySelector('rect').getBoundingClientRect() }));
      const out = [];
      for (const a of boxes) for (const b of boxes) {
        if (a.at >= b.at) continue;
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 1 && h > 1) out.push(a.at + ' / ' + b.at);
      }
      return out;
    })()`)) as string[];
    expect(await page.locator('g.dev[data-at$=":kube-ipvs0"]').count()).toBeGreaterThanOrEqual(2);
    expect(overlaps).toEqual([]);
    await page.close();
  }, 60_000);

  it('a 600-pod cluster: draws the flow\'s machines and pods at a readable size, folds the rest, stacks on a narrow screen', async () => {
    const { file, dir } = writePage(bigScenario());
    for (const width of [1280, 600]) {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 900 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      // A string, run in the page (the tests are typechecked without the DOM library).
      const m = (await page.evaluate(`(() => {
        const svg = document.querySelector('svg');
        const vb = svg.viewBox.baseVal;
        const box = svg.getBoundingClientRect();
        const side = document.getElementById('side').getBoundingClientRect();
        return { vbWidth: vb.width, scale: box.width / vb.width, below: side.top >= box.bottom - 1, folded: [...document.querySelectorAll('.folded text.label')].map((t) => t.textContent), pods: [...document.querySelectorAll('.pod text.label')].map((t) => t.textContent) };
      })()`)) as { vbWidth: number; scale: number; below: boolean; folded: string[]; pods: string[] };
      // Two nodes (client's and endpoint's) with one pod each drawn, their other pods and the 18 other nodes (and the gateway) folded.
      expect(m.vbWidth).toBeLessThan(1000);
      expect(m.scale).toBeGreaterThanOrEqual(0.8 - 1e-6);
      expect(m.folded).toEqual(expect.arrayContaining(['+19 more']));
      expect(m.folded.filter((t) => /^\+\d+ pods$/.test(t)).length).toBe(2);
      expect(m.pods.length).toBe(2);
      // Wide: drawing and hop list side by side; narrow: the list under the drawing.
      expect(m.below).toBe(width < 900);
      // The hop being shown is in view of the scrolled drawing.
      await page.click('#next');
      await page.click('#next');
      const inView = await page.evaluate(`(() => {
        const cur = document.querySelector('svg .current, svg .drop').getBoundingClientRect();
        const d = document.getElementById('drawing').getBoundingClientRect();
        return cur.left >= d.left - 1 && cur.right <= d.right + 1;
      })()`);
      expect(inView).toBe(true);
      await page.screenshot({ path: join(dir, `big-${width}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 120_000);
});
