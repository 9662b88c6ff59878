import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as this machine runs it: no sandbox (root), no GPU, and none of the background
 * traffic the closed network would refuse. Playwright gives every launch a fresh profile directory.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the dashboard and fails the test on any error the page logs or throws. */
export async function openDashboard(browser: Browser, url: string, size = { width: 1440, height: 900 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: size });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-stream="open"], body[data-stream="ended"]');
  return { page, errors };
}

/** A `#rrggbb` colour as Chromium's computed style writes it: `rgb(r, g, b)`. */
export function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

/** Where the browser tests save their screenshots: `test-output/screenshots/` at the repository's root (ignored by git). */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

/**
 * The path to save a screenshot under {@link SCREENSHOTS} (the folder is made, with a `.gitignore`
 * that keeps it out of git, if missing); the path is printed so that whoever runs the test can look.
 */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const ignore = join(SCREENSHOTS, '..', '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const path = join(SCREENSHOTS, name);
  console.log(`screenshot: ${path}`);
  return path;
}

/**
 * One headless Chromium for the tests of a file: launched before them, closed after. Returns a
 * getter (the browser exists once the file's tests run).
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('useBrowser: the browser is not launched yet (call it in a test, not at import)');
    return browser;
  };
}
