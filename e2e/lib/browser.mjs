// Two browser engines behind one small interface, so a playback test is written once and
// runs in each:
//   chromium — Debian's Chromium, driven by playwright-core over the DevTools protocol;
//   firefox  — Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi.
// Neither package ever downloads a browser.
//
//   for (const engine of ENGINES) describe(`… (${engine})`, () => {
//     before(async () => { browser = await launch(engine); });
//     test('…', async () => { const page = await browser.newPage(); await page.goto(url); … });
//   });
//
// The page (`Page` below) has what the playback tests need: goto, evaluate, waitFor,
// waitVideo, click/count/text/focus on elements found by CSS or by role and name, keys,
// the mouse, console messages, frames, and `errors`: every uncaught page error and console
// error. Tests that need more of Playwright (profile, security, screenshots, smoke) run in
// Chromium only and take Playwright's own page with `newPage(browser, options)`.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

/** The engines the playback tests run in: both, unless RELIVE_E2E_BROWSERS names fewer. */
export const ENGINES = (process.env.RELIVE_E2E_BROWSERS ?? 'chromium,firefox').split(',').map((s) => s.trim()).filter(Boolean);
for (const e of ENGINES) if (e !== 'chromium' && e !== 'firefox') throw new Error(`RELIVE_E2E_BROWSERS: unknown engine ${e} (chromium, firefox)`);

/** Playwright's default; puppeteer's is 800x600. One size, so layouts match. */
const VIEWPORT = { width: 1280, height: 720 };

const FIREFOX_PREFS = {
  // Let the page start playback without a click, as --autoplay-policy does in Chromium.
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // A fake audio output. This machine has no sound device, and Firefox then fails audio-only
  // media with MediaError 3 "OnMediaSinkAudioError" a moment into playback (media with
  // video plays on, silent, on the video clock). Chromium's headless has a fake output.
  'media.cubeb.force_mock_context': true,
  // The pages' language (Chromium's pages get it per context: `locale`).
  'intl.accept_languages': 'en-US',
  'intl.locale.requested': 'en-US',
  // navigator.clipboard.readText() without Firefox's "Paste" pop-up, which would wait for
  // a person (a test-only pref; Chromium's pages get the permission instead).
  'dom.events.testing.asyncClipboard': true,
  // No first-run pages, telemetry, update or remote-settings traffic during tests.
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'app.update.enabled': false,
};

export async function launch(engine = 'chromium') {
  if (engine === 'chromium') {
    const native = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
    return new Browser(engine, native);
  }
  if (engine === 'firefox') {
    const native = await puppeteer.launch({
      browser: 'firefox',
      executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
      headless: true,
      defaultViewport: VIEWPORT,
      extraPrefsFirefox: FIREFOX_PREFS,
    });
    return new Browser(engine, native);
  }
  throw new Error(`unknown engine ${engine}`);
}

class Browser {
  constructor(engine, native) {
    this.engine = engine;
    this.native = native;
    this.contexts = [];
  }

  /**
   * A fresh page in a fresh profile (cookies, storage), for the adapter. One at a time:
   * the pages opened before it are closed first, so their videos stop playing and do not
   * load the machine during later tests. `locale` other than en-US is Chromium only.
   * `initScript` (JavaScript source) runs in every document of the page before its own
   * scripts: to take an API away, say (`delete window.MediaSource`).
   */
  async newPage({ locale = 'en-US', initScript } = {}) {
    await this.closePages();
    if (this.engine === 'chromium') {
      const context = await this.native.newContext({ locale, viewport: VIEWPORT });
      this.contexts.push(context);
      if (initScript) await context.addInitScript({ content: initScript });
      return new Page(this, await context.newPage());
    }
    if (locale !== 'en-US') throw new Error('Firefox pages are en-US here (FIREFOX_PREFS)');
    const context = await this.native.createBrowserContext();
    this.contexts.push(context);
    const page = await context.newPage();
    if (initScript) await page.evaluateOnNewDocument(initScript);
    return new Page(this, page);
  }

  async closePages() {
    const open = this.contexts.splice(0);
    if (this.engine === 'chromium') open.push(...this.native.contexts().filter((c) => !open.includes(c)));
    await Promise.all(open.map((c) => c.close().catch(() => {})));
  }

  async close() {
    await this.closePages();
    await this.native.close();
  }
}

/**
 * Chromium only: Playwright's own page, for the tests that use its locators. Fails the test
 * on any uncaught error or console error (`page.errors`), like the adapter's pages.
 */
export async function newPage(browser, options = {}) {
  if (browser.engine !== 'chromium') throw new Error('newPage(browser) gives a Playwright page: Chromium only; use browser.newPage()');
  await browser.closePages();
  const context = await browser.native.newContext(options);
  browser.contexts.push(context);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
  return page;
}

/**
 * Waits until `expr` (JavaScript, evaluated in the page or frame) is truthy. Polls with
 * `evaluate`, which the drivers run outside the page's Content-Security-Policy: the app
 * forbids eval, so Playwright's own waitForFunction, which evals, cannot run there.
 * `target` is an adapter page or frame, or a Playwright page or frame.
 */
export async function waitFor(target, expr, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      if (await target.evaluate(expr)) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${expr}${last ? `: ${last.message}` : ''}`);
    await sleep(50);
  }
}

/** Waits until `cond` holds for the player's <video> (bound as `v`). */
export const waitVideo = (target, cond, timeout = 20000) =>
  waitFor(target, `(() => { const v = document.querySelector('.player video'); return !!v && !!(${cond}); })()`, timeout);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Elements are named by a CSS selector or by a spec: `{ css, role, name, text, within }`.
 * `role` is button, link, slider, dialog or textbox; `name` the accessible name (its
 * aria-label, else its text), a string matched exactly or a RegExp; `text` a substring of
 * its text; `within` a spec or selector of an ancestor. The lookup runs in the page, so
 * it is the same in both engines.
 */
function toSpec(spec) {
  const s = typeof spec === 'string' ? { css: spec } : { ...spec };
  if (s.name instanceof RegExp) s.name = { source: s.name.source, flags: s.name.flags };
  if (s.within) s.within = toSpec(s.within);
  return s;
}

// Runs in the page (passed to evaluate as a function: no eval, so the CSP allows it).
function findAll(spec) {
  const ROLES = {
    button: 'button, [role=button]',
    link: 'a[href], [role=link]',
    slider: 'input[type=range], [role=slider]',
    dialog: 'dialog, [role=dialog]',
    textbox: 'textarea, input:not([type]), input[type=text], [role=textbox]',
  };
  const nameOf = (el) => (el.getAttribute('aria-label') ?? el.innerText ?? el.textContent ?? '').trim();
  const visit = (s, roots) => {
    const sel = [s.css, s.role && ROLES[s.role]].filter(Boolean);
    let found = [];
    for (const root of roots) {
      let els = [...root.querySelectorAll(sel.length ? sel[0] : '*')];
      if (sel.length > 1) els = els.filter((el) => el.matches(sel[1]));
      found.push(...els);
    }
    if (s.name !== undefined) {
      const re = typeof s.name === 'string' ? null : new RegExp(s.name.source, s.name.flags);
      found = found.filter((el) => (re ? re.test(nameOf(el)) : nameOf(el) === s.name));
    }
    if (s.text !== undefined) found = found.filter((el) => (el.innerText ?? el.textContent ?? '').includes(s.text));
    return found;
  };
  const roots = spec.within ? findAll(spec.within) : [document];
  return visit(spec, roots);
}

/** What pages and frames share: evaluation and elements. */
class Target {
  constructor(page, native) {
    this.page = page;
    this.native = native;
  }

  /** `fn` is a function (called with `arg`) or an expression. */
  evaluate(fn, arg) {
    return typeof fn === 'function' ? this.native.evaluate(fn, arg) : this.native.evaluate(fn);
  }

  waitFor(expr, timeout) { return waitFor(this, expr, timeout); }
  waitVideo(cond, timeout) { return waitVideo(this, cond, timeout); }

  /** Evaluates `expr` with the player's <video> bound as `v`. */
  video(expr) {
    return this.evaluate(`(() => { const v = document.querySelector('.player video'); return ${expr}; })()`);
  }

  #query(spec, body) {
    // findAll is recursive (`within`): hand it to the page by its source, as a function.
    return this.native.evaluate(`(() => { ${findAll.toString()}; const els = findAll(${JSON.stringify(toSpec(spec))}); ${body} })()`);
  }

  count(spec) { return this.#query(spec, 'return els.length;'); }
  text(spec) { return this.#query(spec, 'return els.length ? els[0].innerText : null;'); }
  attr(spec, name) { return this.#query(spec, `return els.length ? els[0].getAttribute(${JSON.stringify(name)}) : null;`); }
  value(spec) { return this.#query(spec, 'return els.length ? els[0].value : null;'); }

  /** Waits until `spec` matches an element. */
  async waitSelector(spec, timeout = 15000) {
    const deadline = Date.now() + timeout;
    while ((await this.count(spec).catch(() => 0)) === 0) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${JSON.stringify(toSpec(spec))}`);
      await sleep(50);
    }
  }

  /** The first element `spec` matches, as the driver's element handle (waits for it). */
  async element(spec, timeout) {
    await this.waitSelector(spec, timeout);
    const handle = await this.native.evaluateHandle(`(() => { ${findAll.toString()}; return findAll(${JSON.stringify(toSpec(spec))})[0]; })()`);
    const el = handle.asElement();
    if (!el) throw new Error(`${JSON.stringify(toSpec(spec))} is gone`);
    return el;
  }

  /** A real mouse click in the middle of the element (a user gesture, as the clipboard needs). */
  async click(spec, timeout) {
    const el = await this.element(spec, timeout);
    await el.click();
    await el.dispose();
  }

  async focus(spec, timeout) {
    const el = await this.element(spec, timeout);
    await el.focus();
    await el.dispose();
  }

  url() { return this.native.url(); }
}

export class Page extends Target {
  constructor(browser, native) {
    super(null, native);
    this.page = this;
    this.browser = browser;
    this.engine = browser.engine;
    /** Uncaught page errors and console errors, as `pageerror: …` and `console: …`. */
    this.errors = [];
    native.on('pageerror', (e) => this.errors.push(`pageerror: ${e?.message ?? e}`));
    this.onConsole((type, text) => {
      if (type === 'error') this.errors.push(`console: ${text}`);
    });
  }

  /**
   * Calls `fn(type, text)` for each console message. `type` is log, debug, info, warn or
   * error in both engines (Playwright says `warning`).
   */
  onConsole(fn) {
    this.native.on('console', (m) => {
      const type = m.type() === 'warning' ? 'warn' : m.type();
      fn(type, m.text());
    });
  }

  async goto(url) { await this.native.goto(url); }
  async reload() { await this.native.reload(); }

  /** Waits until the address satisfies `pred(url)` (a function) or equals `pred`. */
  async waitURL(pred, timeout = 15000) {
    const ok = typeof pred === 'function' ? pred : (u) => u === pred;
    const deadline = Date.now() + timeout;
    while (!ok(this.native.url())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for the address; at ${this.native.url()}`);
      await sleep(50);
    }
  }

  /** Presses a key (Playwright's and puppeteer's names agree: 'k', 'ArrowRight', 'Escape'). */
  async press(key) { await this.native.keyboard.press(key); }
  async mouseMove(x, y) { await this.native.mouse.move(x, y); }

  /** The first frame whose address contains `part`, as a target (evaluate, click, …). */
  async frame(part, timeout = 15000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const f = this.native.frames().find((x) => x.url().includes(part));
      if (f) return new Target(this, f);
      if (Date.now() > deadline) throw new Error(`no frame at ${part}: ${this.native.frames().map((x) => x.url())}`);
      await sleep(50);
    }
  }

  /** Lets the page write and read the clipboard (Firefox: its prefs at launch already do). */
  async allowClipboard(origin) {
    if (this.engine === 'chromium') await this.native.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  }

  /** Reads the clipboard through the page. */
  readClipboard() { return this.native.evaluate(() => navigator.clipboard.readText()); }
}
