import 'reflect-metadata';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, describeInBrowser, horizontalOverflow, launchChromium, openPage, screenshot, visit, WIDTHS } from './support/browser';
import { PRINCIPALS, startWorld, USER_CAPS, type World } from './support/world';

/**
 * The dashboard as someone without the admin role sees it: their own usage, sessions and tools
 * and the Connect page; admin sections neither shown nor loaded. 127.0.0.1 (the browser) is bob,
 * who has a history and today's live calls from another address.
 */
const NAV = ['Overview', 'Sessions', 'Tools', 'Connect'];
const USAGE = 'requests errors inputTokens outputTokens cachedInputTokens costUsd';

async function attributes(page: Page, selector: string, name: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els, attr) => els.map((el) => (el as unknown as { getAttribute(n: string): string }).getAttribute(attr)), name);
}
async function figure(page: Page, metric: string): Promise<number> {
  return Number(await page.getAttribute(`dd[data-metric="${metric}"]`, 'data-value'));
}

describeInBrowser('dashboard as a plain user (headless Chromium)', () => {
  let world: World;
  let browser: Browser;
  let url: string;
  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld({ login: 'bob@example.com', caps: USER_CAPS }), launchChromium()]);
    url = `${world.gw.url}/ui`;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });

  it('shows only Overview, Sessions, Tools and Connect, at 1280 and 390 px, without console errors; saves screenshots', async () => {
    for (const viewport of Object.values(WIDTHS)) {
      const { page, problems, context } = await openPage(browser, viewport);
      const graphql: string[] = [];
      page.on('request', (req) => {
        const query = req.url().endsWith('/graphql') ? String(JSON.parse(req.postData() ?? '{}').query) : '';
        if (query && !query.startsWith('query Me ')) graphql.push(query);
      });
      for (const [path, heading, name] of [['', 'Overview', 'overview'], ['sessions', 'Sessions', 'sessions'], ['tools', 'Tools', 'tools'], ['connect', 'Connect', 'connect'], [`session?id=${world.liveSession}`, `Session ${world.liveSession}`, 'session']]) {
        await visit(page, `${url}/${path}`);
        expect(await page.locator('main h1').textContent()).toBe(heading);
        expect((await page.locator('#nav-list a').allTextContents()).map((t) => t.trim())).toEqual(NAV);
        expect(await page.textContent('#who')).toBe('Signed in through Tailscale as bob@example.com');
        expect([name, await horizontalOverflow(page)]).toEqual([name, 0]);
        expect([name, await accessibilityProblems(page)]).toEqual([name, []]);
        await screenshot(page, `user-${name}-${viewport.width}`);
      }
      // Admin sections by URL: a notice, and no query but the boot's `me`.
      for (const section of ['Adoption', 'Keys', 'Quotas', 'Audit']) {
        const before = graphql.length;
        await visit(page, `${url}/${section.toLowerCase()}`);
        expect(await page.locator('main h1').textContent()).toBe(section);
        expect(await page.textContent('main .notice')).toContain(`${section} is for Tailgate admins`);
        expect(graphql.length).toBe(before);
      }
      await screenshot(page, `user-admin-only-${viewport.width}`);
      expect(graphql.join('\n')).not.toMatch(/providers|auditLog|quotas \{|principalAdoption|adoption\(/);
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it('Overview, Sessions and Tools show bob\'s own figures, equal to GraphQL and to what he sent', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/`);
    const mine = await world.gql(`{ total: usage(groupBy: []) { ${USAGE} } byPrincipal: usage(groupBy: [PRINCIPAL]) { principal } sessions(first: 200) { totalCount edges { node { id principal } } } toolUsage { tool calls } }`);
    // Independently of the API: bob's seeded calls in the last 30 UTC days plus today's three live ones.
    const firstDay = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 29 * 86_400_000);
    const seeded = world.history.filter((c) => c.principal === PRINCIPALS.bob && c.at >= firstDay);
    expect(mine.total[0].requests).toBe(seeded.length + 3);
    expect(mine.byPrincipal).toEqual([{ principal: PRINCIPALS.bob }]);
    expect(await figure(page, 'requests')).toBe(mine.total[0].requests);
    expect(await figure(page, 'costUsd')).toBeCloseTo(mine.total[0].costUsd, 6);
    expect(await figure(page, 'inputTokens')).toBe(mine.total[0].inputTokens);
    expect(await page.locator('section:has(h2:text-is("You")) tbody th').allTextContents()).toEqual([PRINCIPALS.bob]);
    expect(await page.locator('section:has(h2:text-is("Top principals"))').count()).toBe(0);

    await visit(page, `${url}/sessions`);
    expect(await page.getByLabel('Principal', { exact: true }).count()).toBe(0);
    const ids = mine.sessions.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(new Set(mine.sessions.edges.map((e: { node: { principal: string } }) => e.node.principal))).toEqual(new Set([PRINCIPALS.bob]));
    expect(Number(await page.getAttribute('.pager-summary', 'data-total'))).toBe(mine.sessions.totalCount);
    expect(await attributes(page, 'tbody tr[data-session]', 'data-session')).toEqual(ids.slice(0, 25));

    // Someone else's session is not there for him, whatever the URL says.
    const carols = world.history.find((c) => c.principal === PRINCIPALS.carol)!.session;
    await visit(page, `${url}/session?id=${encodeURIComponent(carols)}`);
    expect(await page.textContent('main .notice')).toBe('There is no session with this id that you may see.');

    await visit(page, `${url}/tools`);
    expect(await page.locator('section:has(h2:text-is("Every tool")) tbody th').allTextContents()).toEqual(mine.toolUsage.map((t: { tool: string }) => t.tool));
    expect(await page.locator('section:has(h2:text-is("By whom"))').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
