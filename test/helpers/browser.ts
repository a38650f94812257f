/** A page of ours in headless Debian Chromium, offline: only the page itself may load, and it must log no error. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { requireTool } from './tools.js';

/** Debian's chromium (.ci/run installs it); playwright's own browser downloads are not used. */
export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` option for browser tests: skipped locally without Chromium; under CI they run, and fail without it. */
export function requireChromium(): false | string {
  return requireTool(CHROMIUM, existsSync(CHROMIUM), 'apt-get install chromium');
}

/**
 * Opens `file` in headless Chromium with every other request refused and recorded, runs
 * `check` on the page, then asserts no console error and nothing fetched from the network.
 */
export async function withOfflinePage(file: string, check: (page: Page) => Promise<void>): Promise<void> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const href = pathToFileURL(file).href;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === href) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(href);
    await check(page);
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests, [], 'nothing fetched from the network');
  } finally {
    await browser.close();
  }
}

/** The flags every headless Chromium of the tests starts with (no background traffic on this closed network). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** What a page served by a local server did besides what the test checked. */
export interface LocalPageLog {
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests to anywhere but the server's own origin (each refused). */
  foreign: string[];
  /** Every request made to the server, in order. */
  requests: string[];
}

/**
 * Opens `url` (a page of a server on 127.0.0.1) in headless Chromium with downloads
 * accepted and every request to another origin refused and recorded, runs `check`, then
 * asserts no console error and nothing fetched from anywhere but that origin.
 */
export async function withLocalPage(url: string, check: (page: Page, log: LocalPageLog) => Promise<void>): Promise<void> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  const origin = new URL(url).origin;
  assert.equal(new URL(url).hostname, '127.0.0.1', 'a local page is served from 127.0.0.1');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const log: LocalPageLog = { errors: [], foreign: [], requests: [] };
    page.on('console', (m) => m.type() === 'error' && log.errors.push(m.text()));
    page.on('pageerror', (e) => log.errors.push(e.message));
    // Workers' requests go through the context, not the page.
    await context.route('**/*', (route) => {
      const target = route.request().url();
      if (new URL(target).origin === origin) {
        log.requests.push(target);
        return route.continue();
      }
      log.foreign.push(target);
      return route.abort();
    });
    await page.goto(url);
    await check(page, log);
    assert.deepEqual(log.errors, [], 'no console errors');
    assert.deepEqual(log.foreign, [], 'nothing fetched from anywhere but the server');
  } finally {
    await browser.close();
  }
}
