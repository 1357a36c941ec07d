import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (CI: `apt-get install -y chromium`); browser tests are skipped without it. */
export const CHROMIUM = '/usr/bin/chromium';
/** The flags this machine's closed network needs (docs: the env notes on headless Chromium). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The width the screenshots in docs/console.md are taken at. */
export const SCREEN = { width: 1280, height: 800 } as const;
const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/console/', import.meta.url));

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A fresh browser profile (its own cookies) at the screenshot width. */
export async function newConsoleContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: SCREEN });
}

/** Types the key into the sign-in form and submits it; resolves on the page signed in to. */
export async function signIn(page: Page, baseUrl: string, key: string, target = '/console'): Promise<void> {
  await page.goto(`${baseUrl}${target}`);
  assert.match(new URL(page.url()).pathname, /^\/console\/sign-in$/, 'redirected to sign-in');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/console/sign-in');
}

/**
 * A full-page screenshot at 1280 px; written to docs/console/<name>.png when
 * DP_CONSOLE_SCREENSHOTS=1 (so an ordinary test run leaves the tree as it was).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  assert.ok(png.length > 1000, `screenshot ${name} taken`);
  if (process.env.DP_CONSOLE_SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await writeFile(path.join(SCREENSHOT_DIR, `${name}.png`), png);
}

/** Collects script errors and CSP violations of a page; assert on it at the end. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}
