import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Chromium from Debian's package (playwright cannot download its own browser here),
 * driven by playwright-core. When it is missing the browser tests are skipped with a message;
 * `.ci/run` installs it, so CI always runs them.
 */
export const CHROMIUM_PATH = process.env.TAILGATE_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
export const ARTIFACTS_DIR = path.join(__dirname, '..', '..', 'artifacts');

export function describeInBrowser(name: string, body: () => void): void {
  if (HAVE_CHROMIUM) {
    describe(name, body);
    return;
  }
  console.warn(`SKIPPED "${name}": no Chromium at ${CHROMIUM_PATH}. Install it (apt-get install -y chromium) or set TAILGATE_CHROMIUM; .ci/run does this in CI.`);
  describe.skip(name, body);
}

/** A tailnet-style host name the browser resolves to 127.0.0.1 (the way MagicDNS names `ai`). */
export const TAILNET_HOST = 'ai';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      // Root in a container has no user namespaces for Chromium's sandbox.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-dev-shm-usage', '--disable-gpu',
      `--host-resolver-rules=MAP ${TAILNET_HOST} 127.0.0.1`,
    ],
  });
}

export const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and failed same-origin requests, as they happen. */
  problems: string[];
}

export async function openPage(browser: Browser, size: { width: number; height: number }, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: size, locale: 'en-US', timezoneId: 'UTC', colorScheme: options.colorScheme ?? 'light', acceptDownloads: true, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  return { context, page, problems };
}

/** Loads a dashboard URL and waits until the page has rendered its data (or failed). */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await settled(page);
}

export async function settled(page: Page): Promise<void> {
  await page.waitForSelector('main[data-state="ready"], main[data-state="error"]', { timeout: 15_000 });
  const state = await page.getAttribute('main', 'data-state');
  if (state !== 'ready') throw new Error(`page ${page.url()} failed: ${await page.textContent('main')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** How far the page is wider than the viewport (0: nothing but table regions scrolls sideways). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

export interface Contrast {
  ratio: number;
  color: string;
  background: string;
  text: string;
}

// Runs in the page (plain JS: the tests' TypeScript has no DOM types). For each element: its text
// colour over the background it is drawn on (the first opaque background up its ancestors,
// composited with the translucent ones on the way), and the WCAG contrast ratio between them.
const CONTRAST_IN_PAGE = `(selector) => {
  const parse = (value) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(value);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[,\\s/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  const luminance = (rgb) => {
    const channel = (v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
  };
  return [...document.querySelectorAll(selector)].map((el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let background = [255, 255, 255, 1];
    for (const layer of layers.reverse()) background = over(layer, background);
    const color = over(parse(getComputedStyle(el).color), background);
    const [l1, l2] = [luminance(color), luminance(background)].sort((a, b) => b - a);
    return {
      ratio: (l1 + 0.05) / (l2 + 0.05),
      color: 'rgb(' + color.slice(0, 3).map(Math.round).join(',') + ')',
      background: 'rgb(' + background.slice(0, 3).map(Math.round).join(',') + ')',
      text: (el.textContent || '').trim().slice(0, 40),
    };
  });
}`;

/** WCAG contrast of the text of every element matching `selector` against its background. */
export async function contrastOf(page: Page, selector: string): Promise<Contrast[]> {
  return page.evaluate(`(${CONTRAST_IN_PAGE})(${JSON.stringify(selector)})`);
}

// Runs in the page: the structural accessibility checks a reviewer would do by hand on every
// page. Returns a list of problems (empty when the page passes).
const A11Y_IN_PAGE = `() => {
  const problems = [];
  const name = (el) => (el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby') || '').split(' ').map((id) => document.getElementById(id)?.textContent || '').join(' ') || el.textContent || '').trim();
  if (document.querySelectorAll('main').length !== 1) problems.push('expected exactly one <main>');
  if (!document.querySelector('nav[aria-label]')) problems.push('no labelled <nav>');
  if (!document.querySelector('header')) problems.push('no <header> (banner)');
  if (document.querySelectorAll('main h1').length !== 1) problems.push('expected exactly one <h1> in main');
  const skip = document.querySelector('a.skip-link');
  if (!skip || skip !== document.querySelector('body a') || skip.getAttribute('href') !== '#main') problems.push('no skip link to #main first in the page');
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (control.closest('[aria-hidden=true]')) continue;
    const labelled = (control.labels && control.labels.length > 0) || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
    if (!labelled) problems.push('unlabelled ' + control.tagName.toLowerCase() + ' ' + (control.name || control.id));
  }
  for (const button of document.querySelectorAll('button, a[href]')) {
    if (!name(button)) problems.push('control without a name: ' + button.outerHTML.slice(0, 80));
  }
  for (const table of document.querySelectorAll('table')) {
    if (!table.querySelector('caption') || !table.querySelector('caption').textContent.trim()) problems.push('table without a caption');
    if (!table.querySelector('thead th[scope=col]')) problems.push('table without column headers');
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.closest('[aria-hidden=true]')) continue;
    if (svg.getAttribute('role') !== 'img' || !svg.getAttribute('aria-label')) problems.push('svg without role=img and a label');
  }
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) problems.push('duplicate id ' + id);
  for (const el of document.querySelectorAll('[aria-labelledby]')) {
    for (const id of el.getAttribute('aria-labelledby').split(' ')) if (!document.getElementById(id)) problems.push('aria-labelledby names a missing id ' + id);
  }
  for (const region of document.querySelectorAll('.table-wrap')) {
    if (region.scrollWidth > region.clientWidth && region.tabIndex < 0) problems.push('scrolling table region is not focusable');
  }
  return problems;
}`;

export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(`(${A11Y_IN_PAGE})()`);
}
