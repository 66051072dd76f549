// Browser driver for tests/browser: pytest starts `node driver.mjs` and sends one JSON command
// per line on stdin; each answer is one JSON line on stdout ({"id", "ok", "result"|"error"}).
// It drives Debian's Chromium (/usr/bin/chromium, never a downloaded browser) through
// playwright-core and injects axe-core from npm into pages. Pages are named; each has its
// own browser context (its own sessionStorage) and keeps what it saw: console errors, page
// errors, CSP refusals, HTTP errors and the websocket frames it sent.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const browser = await chromium.launch({
  executablePath: process.env.ACCESSTWIN_CHROMIUM || '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
  headless: true,
});
const pages = new Map(); // name → { context, page, seen, routes, refuse }

// Every frame a page's script hands to an open websocket, recorded in the page as it is sent
// (kept in the tab's sessionStorage, so a reload or a same-origin navigation keeps the list,
// as Playwright's 'framesent' does). Playwright's events reach this process later than the
// server gets the frame: a test that waited for the server's answer could read a list that
// did not have the frame yet (CI saw a 'choose' the server had acted on missing from it).
const SENT_KEY = '__driverWsSent';
const RECORD_SENT = `(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (this.readyState === WebSocket.OPEN) {
      try {
        const sent = JSON.parse(sessionStorage.getItem('${SENT_KEY}') ?? '[]');
        sent.push(typeof data === 'string' ? data : '<binary>');
        sessionStorage.setItem('${SENT_KEY}', JSON.stringify(sent));
      } catch { /* storage disabled: the framesent list stands */ }
    }
    return send.call(this, data);
  };
})();`;

function get(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page named ${name}`);
  return p;
}

function watch(p) {
  const { page, seen } = p;
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) seen.console.push(msg.text());
  });
  page.on('pageerror', (err) => seen.pageErrors.push(String(err)));
  page.on('request', (req) => { seen.requests.push(req.url()); if (seen.requests.length > 2000) seen.requests.splice(0, 1000); });
  page.on('response', (res) => { if (res.status() >= 400) seen.httpErrors.push(`${res.status()} ${res.url()}`); });
  page.on('websocket', (ws) => {
    seen.sockets += 1;
    ws.on('framesent', (f) => seen.wsSent.push(typeof f.payload === 'string' ? f.payload : '<binary>'));
  });
}

async function routeSockets(p) { // lets a test cut the page's websockets and refuse new ones
  await p.page.routeWebSocket(/\/ws\//, (ws) => {
    if (p.refuse) { ws.close({ code: 4000, reason: 'test: network down' }); return; }
    const server = ws.connectToServer();
    const entry = { ws, server };
    p.routes.add(entry);
    ws.onClose(() => p.routes.delete(entry));
    server.onClose(() => p.routes.delete(entry));
  });
}

const commands = {
  async open({ name, url, viewport = { width: 1280, height: 900 }, forced_colors = 'none', reduced_motion = 'no-preference', route_ws = false, locale = null, init_script = null, color_scheme = 'light' }) {
    if (pages.has(name)) await commands.close({ name });
    // locale: the browser's language (navigator.language and the Accept-Language it sends).
    const context = await browser.newContext({ viewport, reducedMotion: reduced_motion, forcedColors: forced_colors, colorScheme: color_scheme, ...(locale ? { locale } : {}) });
    await context.addInitScript({ content: RECORD_SENT });
    // A script run before the page's own (a fake navigator.getGamepads, for instance).
    if (init_script) await context.addInitScript({ content: init_script });
    const page = await context.newPage();
    const p = { context, page, routes: new Set(), refuse: false, seen: { console: [], pageErrors: [], httpErrors: [], wsSent: [], requests: [], sockets: 0 } };
    pages.set(name, p);
    watch(p);
    if (route_ws) await routeSockets(p);
    await page.goto(url, { waitUntil: 'load' });
    return { url: page.url() };
  },
  async emulate({ name, forced_colors, reduced_motion }) {
    const media = {};
    if (forced_colors) media.forcedColors = forced_colors;
    if (reduced_motion) media.reducedMotion = reduced_motion;
    await get(name).page.emulateMedia(media);
    return null;
  },
  async axe({ name, tags, rules = {} }) {
    const { page } = get(name);
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
    return page.evaluate(async ([runTags, runRules]) => {
      const res = await window.axe.run(document, {
        runOnly: { type: 'tag', values: runTags },
        rules: Object.fromEntries(runRules.map((r) => [r, { enabled: true }])),
        resultTypes: ['violations', 'incomplete'],
      });
      const brief = (r) => ({
        id: r.id, impact: r.impact, help: r.help,
        nodes: r.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 200) })),
      });
      return {
        violations: res.violations.map(brief),
        passes: res.passes.map((r) => r.id),
        incomplete: res.incomplete.map((r) => ({
          ...brief(r),
          // every node (up to 500): the tests allow only listed kinds of incomplete result
          nodes: r.nodes.slice(0, 500).map((n) => ({ target: n.target.join(' '), reason: n.any.concat(n.all, n.none).map((c) => c.message).join('; '), html: n.html.slice(0, 200) })),
        })),
        version: window.axe.version,
      };
    }, [tags, Object.keys(rules).filter((r) => rules[r])]);
  },
  async key({ name, key, action = 'press', delay = 30 }) {
    const kb = get(name).page.keyboard;
    if (action === 'down') await kb.down(key);
    else if (action === 'up') await kb.up(key);
    else await kb.press(key, { delay });
    return null;
  },
  // The mouse to the middle of `selector` (or to x, y), in `steps` moves.
  async mouse({ name, selector = null, x = 0, y = 0, steps = 1 }) {
    const { page } = get(name);
    if (selector) {
      const box = await page.locator(selector).first().boundingBox();
      if (!box) throw new Error(`no box for ${selector}`);
      [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    }
    await page.mouse.move(x, y, { steps });
    return { x, y };
  },
  // Chromium's accessibility tree (CDP Accessibility.getFullAXTree), nodes in brief.
  async ax_tree({ name }) {
    const { page, context } = get(name);
    const cdp = await context.newCDPSession(page);
    try {
      const { nodes } = await cdp.send('Accessibility.getFullAXTree');
      const val = (v) => (v && 'value' in v ? v.value : null);
      return nodes.filter((n) => !n.ignored).map((n) => ({
        id: n.nodeId, parent: n.parentId ?? null, role: val(n.role), name: val(n.name),
        props: Object.fromEntries((n.properties ?? []).map((q) => [q.name, q.value?.relatedNodes ? q.value.relatedNodes.map((r) => r.backendDOMNodeId) : val(q.value)])),
        dom: n.backendDOMNodeId ?? null,
      }));
    } finally { await cdp.detach().catch(() => {}); }
  },
  // backendDOMNodeId of the element `selector` (to match it with ax_tree's nodes).
  async dom_node({ name, selector }) {
    const { page, context } = get(name);
    const cdp = await context.newCDPSession(page);
    try {
      const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
      if (!nodeId) return null;
      const { node } = await cdp.send('DOM.describeNode', { nodeId });
      return node.backendNodeId;
    } finally { await cdp.detach().catch(() => {}); }
  },
  async click({ name, selector }) {
    await get(name).page.click(selector);
    return null;
  },
  // Polls with page.evaluate (DevTools evaluation, which the page's CSP allows), not
  // waitForFunction (which evals a string inside the page: refused without 'unsafe-eval').
  async wait({ name, expression, timeout_ms = 10000, interval_ms = 10 }) {
    const { page } = get(name);
    const deadline = Date.now() + timeout_ms;
    let last;
    for (;;) {
      try { last = await page.evaluate(expression); } catch (err) { last = `error: ${err.message}`; }
      if (last && !(typeof last === 'string' && last.startsWith('error: '))) return last;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for: ${expression} (last: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, interval_ms));
    }
  },
  async eval({ name, expression }) {
    return get(name).page.evaluate(expression);
  },
  async screenshot({ name, path, full_page = true }) {
    await get(name).page.screenshot({ path, fullPage: full_page, animations: 'disabled' });
    return { path };
  },
  async seen({ name }) {
    const p = get(name);
    // The page's own record; read again while a navigation is under way (evaluate throws).
    // Only a page whose storage cannot be read falls back to Playwright's lagging list.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const inPage = await p.page
        .evaluate((key) => { try { return JSON.parse(sessionStorage.getItem(key) ?? '[]'); } catch { return null; } }, SENT_KEY)
        .then((list) => ({ list }), () => null);
      if (inPage !== null) return Array.isArray(inPage.list) ? { ...p.seen, wsSent: inPage.list } : p.seen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return p.seen;
  },
  async ws_cut({ name, refuse = true }) {
    const p = get(name);
    p.refuse = refuse;
    const live = [...p.routes];
    for (const { ws, server } of live) {
      await server.close({ code: 1000, reason: 'test: cut' }).catch(() => {});
      await ws.close({ code: 4000, reason: 'test: network down' }).catch(() => {});
    }
    p.routes.clear();
    return { cut: live.length };
  },
  async ws_inject({ name, text }) { // a frame to the page, as if the server had sent it
    const p = get(name);
    for (const { ws } of p.routes) ws.send(text);
    return { sent: p.routes.size };
  },
  async ws_allow({ name }) {
    get(name).refuse = false;
    return null;
  },
  async close({ name }) {
    const p = pages.get(name);
    if (p) { pages.delete(name); await p.context.close(); }
    return null;
  },
  async version() {
    return { browser: browser.version() };
  },
};

function reply(obj) { process.stdout.write(`${JSON.stringify(obj)}\n`); }

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
reply({ id: 0, ok: true, result: { ready: true, browser: browser.version() } });
for await (const line of lines) { // one command at a time, in order
  if (!line.trim()) continue;
  let msg;
  try { msg = JSON.parse(line); } catch { reply({ id: null, ok: false, error: 'bad JSON' }); continue; }
  const { id, cmd, ...args } = msg;
  if (cmd === 'quit') break;
  const fn = commands[cmd];
  if (!fn) { reply({ id, ok: false, error: `unknown command ${cmd}` }); continue; }
  try {
    reply({ id, ok: true, result: (await fn(args)) ?? null });
  } catch (err) {
    reply({ id, ok: false, error: String(err?.stack ?? err) });
  }
}
await browser.close();
