// Debian's Chromium, headless, driven by playwright-core (which never downloads a browser).
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

/**
 * A page that fails the test on any uncaught error or console error. One at a time: the
 * pages opened before it are closed first, so their videos stop playing and do not load
 * the machine during later tests.
 */
export async function newPage(browser, options = {}) {
  await Promise.all(browser.contexts().map((c) => c.close()));
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
  return page;
}

/**
 * Waits until `expr` (JavaScript, evaluated in the page or frame) is truthy. Polls with
 * `evaluate`, which DevTools runs outside the page's Content-Security-Policy: the
 * app forbids eval, so Playwright's own waitForFunction, which evals, cannot run there.
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
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `cond` holds for the player's <video> (bound as `v`). */
export const waitVideo = (target, cond, timeout = 20000) =>
  waitFor(target, `(() => { const v = document.querySelector('.player video'); return !!v && !!(${cond}); })()`, timeout);
