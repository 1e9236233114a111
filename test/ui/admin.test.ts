import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { eventually } from '../support/gateway';
import { accessibilityProblems, contrastOf, describeInBrowser, horizontalOverflow, launchChromium, openPage, screenshot, settled, TAILNET_HOST, visit, WIDTHS } from './support/browser';
import { ADMIN_CAPS, BOB_IP, PRINCIPALS, startWorld, type World } from './support/world';

/**
 * The dashboard as a tailnet admin sees it, in headless Chromium against a real gateway: every
 * section at desktop and phone widths, the figures shown against the GraphQL answers for the same
 * range, a key rotation clicked through and seen upstream, CSV downloads, keyboard and contrast.
 */
const SECTIONS: { path: string; heading: string; name: string }[] = [
  { path: '', heading: 'Overview', name: 'overview' },
  { path: 'sessions', heading: 'Sessions', name: 'sessions' },
  { path: 'tools', heading: 'Tools', name: 'tools' },
  { path: 'adoption', heading: 'Adoption', name: 'adoption' },
  { path: 'keys', heading: 'Keys', name: 'keys' },
  { path: 'quotas', heading: 'Quotas', name: 'quotas' },
  { path: 'audit', heading: 'Audit', name: 'audit' },
  { path: 'connect', heading: 'Connect', name: 'connect' },
];
const NAV = ['Overview', 'Sessions', 'Tools', 'Adoption', 'Keys', 'Quotas', 'Audit', 'Connect'];
const USAGE = 'requests errors inputTokens outputTokens cachedInputTokens costUsd';

/** Numbers shown in [data-value] cells of a table column, in row order. */
async function column(page: Page, scope: string, key: string): Promise<number[]> {
  const values = await page.locator(`${scope} td[data-key="${key}"], ${scope} th[data-key="${key}"]`).evaluateAll((cells) => cells.map((c) => (c as unknown as { dataset: { value: string } }).dataset.value));
  return values.map(Number);
}
async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allTextContents()).map((t) => t.trim());
}
async function attributes(page: Page, selector: string, name: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els, attr) => els.map((el) => (el as unknown as { getAttribute(n: string): string }).getAttribute(attr)), name);
}
async function figure(page: Page, metric: string): Promise<number> {
  return Number(await page.getAttribute(`dd[data-metric="${metric}"]`, 'data-value'));
}

describeInBrowser('dashboard as an admin (headless Chromium)', () => {
  let world: World;
  let browser: Browser;
  let url: string;
  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld({ login: 'ada@example.com', caps: ADMIN_CAPS }), launchChromium()]);
    url = `${world.gw.url}/ui`;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });

  it('renders every section at 1280 and 390 px with landmarks, labels and no console errors; saves screenshots', async () => {
    for (const [size, viewport] of Object.entries(WIDTHS)) {
      const { page, problems, context } = await openPage(browser, viewport);
      // The phone pass goes through a tailnet-style name over plain http (not a secure context).
      const base = size === 'phone' ? `http://${TAILNET_HOST}:${new URL(url).port}/ui` : url;
      for (const section of [...SECTIONS, { path: `session?id=${world.liveSession}`, heading: `Session ${world.liveSession}`, name: 'session' }]) {
        await visit(page, `${base}/${section.path}`);
        expect(await page.locator('main h1').textContent()).toBe(section.heading);
        expect(await texts(page, '#nav-list a')).toEqual(NAV);
        expect([section.name, await horizontalOverflow(page)]).toEqual([section.name, 0]);
        expect([section.name, await accessibilityProblems(page)]).toEqual([section.name, []]);
        await screenshot(page, `admin-${section.name}-${viewport.width}`);
      }
      expect([size, problems]).toEqual([size, []]);
      await context.close();
    }
  });

  it('Overview shows the figures GraphQL usage gives for the same range, by model and by provider', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/`);
    const data = await world.gql(`{ total: usage(groupBy: []) { ${USAGE} } byModel: usage(groupBy: [MODEL]) { model ${USAGE} }
      byPrincipal: usage(groupBy: [PRINCIPAL]) { principal ${USAGE} } byDay: usage(groupBy: [DAY]) { day costUsd inputTokens outputTokens }
      byProvider: usage(groupBy: [PROVIDER]) { provider costUsd } }`);
    const total = data.total[0];
    expect(total.requests).toBeGreaterThan(world.history.length * 0.3);
    expect(await figure(page, 'costUsd')).toBeCloseTo(total.costUsd, 6);
    expect(await figure(page, 'requests')).toBe(total.requests);
    expect(await figure(page, 'inputTokens')).toBe(total.inputTokens);
    expect(await figure(page, 'outputTokens')).toBe(total.outputTokens);
    expect(await figure(page, 'errorRate')).toBeCloseTo(total.errors / total.requests, 9);
    expect(await figure(page, 'cacheHitShare')).toBeCloseTo(total.cachedInputTokens / total.inputTokens, 9);
    expect(await page.textContent('dd[data-metric="costUsd"]')).toBe(`$${total.costUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
    expect(await page.textContent('dd[data-metric="requests"]')).toBe(total.requests.toLocaleString('en-US'));

    // Top models and principals: by spend, as the API sums them.
    const models = [...data.byModel].sort((a, b) => b.costUsd - a.costUsd);
    const modelTable = 'section:has(h2:text-is("Top models")) table';
    expect(await texts(page, `${modelTable} tbody th`)).toEqual(models.map((m) => m.model));
    expect(await column(page, modelTable, 'costUsd')).toEqual(models.map((m) => m.costUsd));
    expect(await column(page, modelTable, 'requests')).toEqual(models.map((m) => m.requests));
    const principals = [...data.byPrincipal].sort((a, b) => b.costUsd - a.costUsd).slice(0, 10);
    const principalTable = 'section:has(h2:text-is("Top principals")) table';
    expect(await texts(page, `${principalTable} tbody th`)).toEqual(principals.map((p) => p.principal));
    expect(await column(page, principalTable, 'tokens')).toEqual(principals.map((p) => p.inputTokens + p.outputTokens));

    // The charts' figures: every day of the range, its total equal to the API's day.
    const spendTable = 'figure:has(figcaption:text-is("Spend per day by model")) table';
    const days = await texts(page, `${spendTable} tbody th`);
    expect(days).toHaveLength(30);
    const spendByDay = await column(page, spendTable, 'total');
    for (const [i, d] of days.entries()) expect([d, spendByDay[i]]).toEqual([d, expect.closeTo(data.byDay.find((r: { day: string }) => r.day === d)?.costUsd ?? 0, 6)]);
    const tokensByDay = await column(page, 'figure:has(figcaption:text-is("Tokens per day by model")) table', 'total');
    for (const [i, d] of days.entries()) {
      const row = data.byDay.find((r: { day: string }) => r.day === d);
      expect([d, tokensByDay[i]]).toEqual([d, row ? row.inputTokens + row.outputTokens : 0]);
    }
    await page.getByLabel('Provider').check();
    await page.waitForSelector('figcaption:text-is("Spend per day by provider")');
    expect((await texts(page, 'figure:has(figcaption:text-is("Spend per day by provider")) .chart-legend li')).sort()).toEqual(data.byProvider.map((p: { provider: string }) => p.provider).sort());

    // Another range: the URL says so, and the figures follow.
    await page.getByRole('combobox', { name: 'Time range' }).selectOption('7d');
    await page.waitForURL(/range=7d/);
    await settled(page);
    const from = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 6 * 86_400_000).toISOString();
    const week = (await world.gql(`query($from: DateTime) { usage(from: $from, groupBy: []) { ${USAGE} } }`, { from })).usage[0];
    expect(await figure(page, 'requests')).toBe(week.requests);
    expect(await figure(page, 'costUsd')).toBeCloseTo(week.costUsd, 6);
    expect(week.requests).toBeLessThan(total.requests);

    // A custom range of whole UTC days, `to` included.
    const dayAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    await page.getByRole('combobox', { name: 'Time range' }).selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill(dayAgo(10));
    await page.getByLabel('To', { exact: true }).fill(dayAgo(3));
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.waitForURL(new RegExp(`from=${dayAgo(10)}&to=${dayAgo(3)}`));
    await settled(page);
    const custom = (await world.gql(`query($from: DateTime, $to: DateTime) { usage(from: $from, to: $to, groupBy: []) { ${USAGE} } }`, { from: `${dayAgo(10)}T00:00:00Z`, to: `${dayAgo(2)}T00:00:00Z` })).usage[0];
    expect(await figure(page, 'requests')).toBe(custom.requests);
    expect(await figure(page, 'costUsd')).toBeCloseTo(custom.costUsd, 6);
    expect(await page.locator('figure:has(figcaption:text-is("Spend per day by model")) tbody th').allTextContents()).toHaveLength(8);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Sessions lists what GraphQL sessions does, pages and filters; a session page shows its requests in order', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/sessions`);
    const all = await world.gql('{ sessions(first: 200) { totalCount edges { node { id requests costUsd } } } }');
    const ids = all.sessions.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(all.sessions.totalCount).toBeGreaterThan(25);
    expect(Number(await page.getAttribute('.pager-summary', 'data-total'))).toBe(all.sessions.totalCount);
    expect(await attributes(page, 'tbody tr[data-session]', 'data-session')).toEqual(ids.slice(0, 25));
    expect(await column(page, 'table', 'costUsd')).toEqual(all.sessions.edges.slice(0, 25).map((e: { node: { costUsd: number } }) => e.node.costUsd));
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForSelector(`tbody tr[data-session="${ids[25]}"]`);
    expect(await attributes(page, 'tbody tr[data-session]', 'data-session')).toEqual(ids.slice(25, 50));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.waitForSelector(`tbody tr[data-session="${ids[0]}"]`);

    await page.getByLabel('Principal').fill(PRINCIPALS.dan);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/principal=user%3Adan/);
    await settled(page);
    const dans = await world.gql('query($p: String) { sessions(principal: $p) { edges { node { id } } } }', { p: PRINCIPALS.dan });
    expect(await attributes(page, 'tbody tr[data-session]', 'data-session')).toEqual(dans.sessions.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(new Set(await texts(page, 'tbody td[data-key="principal"]'))).toEqual(new Set([PRINCIPALS.dan]));

    await visit(page, `${url}/sessions`);
    await page.getByRole('link', { name: `Session ${world.liveSession}` }).click();
    await page.waitForURL(/\/ui\/session\?id=/);
    await settled(page);
    const detail = await world.gql('query($id: ID!) { session(id: $id) { requests costUsd inputTokens requestLog { edges { node { id model status costUsd tools { tool calls } } } } } }', { id: world.liveSession });
    const log = detail.session.requestLog.edges.map((e: { node: unknown }) => e.node);
    expect(await attributes(page, 'tbody tr[data-request]', 'data-request')).toEqual(log.map((r: { id: string }) => r.id));
    expect(await texts(page, 'tbody td[data-key="model"]')).toEqual(log.map((r: { model: string }) => r.model));
    expect(await column(page, 'table', 'costUsd')).toEqual(log.map((r: { costUsd: number }) => r.costUsd));
    expect(await texts(page, 'tbody td[data-key="tools"]')).toEqual(['Read ×1', 'Bash ×1', 'none']);
    expect(await texts(page, 'tbody td[data-key="status"]')).toEqual(['200 OK', '200 OK', '200 OK']);
    expect(await figure(page, 'requests')).toBe(detail.session.requests);
    expect(await figure(page, 'inputTokens')).toBe(detail.session.inputTokens);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Tools and Adoption show what toolUsage, adoption and principalAdoption answer', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/tools`);
    const tools = (await world.gql('{ toolUsage { tool calls principals sessions } }')).toolUsage;
    expect(tools.map((t: { tool: string }) => t.tool)).toEqual(expect.arrayContaining(['Bash', 'Read', 'Edit']));
    const toolTable = 'section:has(h2:text-is("Every tool")) table';
    expect(await texts(page, `${toolTable} tbody th`)).toEqual(tools.map((t: { tool: string }) => t.tool));
    expect(await column(page, toolTable, 'calls')).toEqual(tools.map((t: { calls: number }) => t.calls));
    expect(await column(page, toolTable, 'principals')).toEqual(tools.map((t: { principals: number }) => t.principals));
    const bobs = (await world.gql('query($p: String) { toolUsage(principal: $p) { tool calls } }', { p: PRINCIPALS.bob })).toolUsage;
    const bobRow = `section:has(h2:text-is("By whom")) tr[data-principal="${PRINCIPALS.bob}"]`;
    expect(await column(page, bobRow, 'total')).toEqual([bobs.reduce((n: number, t: { calls: number }) => n + t.calls, 0)]);

    await visit(page, `${url}/adoption`);
    const adoption = await world.gql('{ adoption { day activePrincipals } principalAdoption { principal firstDay retention } }');
    const people = adoption.principalAdoption;
    expect(await figure(page, 'active')).toBe(people.length);
    const firstDay = adoption.adoption[0].day;
    expect(await figure(page, 'new')).toBe(people.filter((p: { firstDay: string }) => p.firstDay >= firstDay).length);
    // Carol tried it four weeks ago and never came back; erin and fay are too new to tell.
    expect(await attributes(page, 'section:has(h2:text-is("Tried it and did not come back")) tbody tr', 'data-principal')).toEqual([PRINCIPALS.carol]);
    expect(await figure(page, 'churned')).toBe(1);
    const retention = Object.fromEntries(people.map((p: { principal: string; retention: string }) => [p.principal, p.retention]));
    expect(retention).toMatchObject({ [PRINCIPALS.carol]: 'CHURNED', [PRINCIPALS.dan]: 'RETURNED', [PRINCIPALS.erin]: 'PENDING', 'user:fay@example.com': 'PENDING' });
    // New and returning per day add up to the API's active principals per day.
    const chart = 'figure:has(figcaption:text-is("Active principals per day, new and returning")) table';
    expect(await column(page, chart, 'total')).toEqual(adoption.adoption.map((d: { activePrincipals: number }) => d.activePrincipals));
    const firsts = new Map<string, number>();
    for (const p of people) firsts.set(p.firstDay, (firsts.get(p.firstDay) ?? 0) + 1);
    expect(await column(page, chart, 's0')).toEqual(adoption.adoption.map((d: { day: string }) => firsts.get(d.day) ?? 0));
    // Weekly active by client, recomputed here from usage by day, principal and client.
    const rows = (await world.gql('{ usage(groupBy: [DAY, PRINCIPAL, CLIENT]) { day principal client } }')).usage as { day: string; principal: string; client: string }[];
    const weekOf = (d: string) => { const t = Date.parse(`${d}T00:00:00Z`); return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10); };
    const weeks = [...new Set(adoption.adoption.map((d: { day: string }) => weekOf(d.day)))] as string[];
    const weekTable = 'section:has(h2:text-is("Weekly active principals")) table';
    expect(await texts(page, `${weekTable} tbody th`)).toEqual(weeks);
    expect(await column(page, weekTable, 'active')).toEqual(weeks.map((w) => new Set(rows.filter((r) => weekOf(r.day) === w).map((r) => r.principal)).size));
    const headers = await texts(page, `${weekTable} thead th`);
    const codexColumn = `c${headers.indexOf('Codex') - 3}`;
    expect(await column(page, weekTable, codexColumn)).toEqual(weeks.map((w) => new Set(rows.filter((r) => weekOf(r.day) === w && r.client === 'codex').map((r) => r.principal)).size));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('downloads usage and sessions as CSV with the rows GraphQL returns', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/`);
    const usage = (await world.gql(`{ usage(groupBy: [DAY, PRINCIPAL, CLIENT, PROVIDER, MODEL]) { day principal client provider model ${USAGE} } }`)).usage;
    const [usageFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download usage CSV' }).click()]);
    expect(usageFile.suggestedFilename()).toMatch(/^tailgate-usage-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const usageCsv = readFileSync((await usageFile.path())!, 'utf8').trim().split('\r\n');
    expect(usageCsv[0]).toBe('day,principal,client,provider,model,requests,errors,inputTokens,outputTokens,cachedInputTokens,cacheWriteTokens,reasoningTokens,costUsd');
    expect(usageCsv).toHaveLength(usage.length + 1);
    expect(usageCsv[1].split(',').slice(0, 6)).toEqual([usage[0].day, usage[0].principal, usage[0].client, usage[0].provider, usage[0].model, String(usage[0].requests)]);
    const cost = usageCsv.slice(1).reduce((n, line) => n + Number(line.split(',')[12]), 0);
    expect(cost).toBeCloseTo(usage.reduce((n: number, r: { costUsd: number }) => n + r.costUsd, 0), 6);

    await visit(page, `${url}/sessions`);
    const sessions = (await world.gql('{ sessions(first: 200) { edges { node { id principal requests } } } }')).sessions.edges.map((e: { node: unknown }) => e.node);
    const [sessionsFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download sessions CSV' }).click()]);
    const sessionsCsv = readFileSync((await sessionsFile.path())!, 'utf8').trim().split('\r\n');
    expect(sessionsCsv[0]).toBe('id,principal,client,models,startedAt,lastSeenAt,requests,inputTokens,outputTokens,cachedInputTokens,costUsd');
    expect(sessionsCsv.slice(1).map((line) => line.split(',')[0])).toEqual(sessions.map((s: { id: string }) => s.id));
    expect(await page.textContent('.toolbar .status')).toBe(`Downloaded ${sessions.length} sessions.`);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('rotates the openai key from the Keys page: the provider gets the new key; only last 4 and fingerprint are shown', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    const oldKey = String(world.gw.sim.keys.openai);
    const newKey = `sk-rotated-from-dashboard-${Date.now()}`;
    world.gw.sim.keys.openai = [oldKey, newKey];
    await visit(page, `${url}/keys`);
    const card = page.locator('[data-provider-card="openai"]');
    expect(await card.locator('tbody tr[data-state="ACTIVE"] th').textContent()).toBe(`••••${oldKey.slice(-4)}`);
    await page.getByLabel('New key for openai').fill(newKey);
    await card.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('status').filter({ hasText: 'is now active for openai' }).waitFor();
    expect(await page.locator('main > .status').textContent()).toContain(`The key ending in ${newKey.slice(-4)}`);
    expect(await card.locator('tbody tr[data-state="ACTIVE"] th').textContent()).toBe(`••••${newKey.slice(-4)}`);
    expect(await card.locator('tbody tr[data-state="RETIRED"] th').textContent()).toBe(`••••${oldKey.slice(-4)}`);
    expect(await page.getByLabel('New key for openai').inputValue()).toBe('');
    expect(await page.content()).not.toContain(newKey);
    await screenshot(page, 'admin-keys-rotated-1280');

    // The gateway injects the new key within a snapshot refresh, without a restart.
    await eventually(async () => {
      world.gw.sim.clearReceived();
      const res = await world.gw.fetchFrom(BOB_IP)(`${world.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      expect(world.gw.sim.lastReceived('openai')!.headers.authorization).toBe(`Bearer ${newKey}`);
    }, 3000);

    // Revoke the retired key: a confirmation step, then the row says so.
    await card.getByRole('button', { name: `Revoke key ending in ${oldKey.slice(-4)} of openai` }).click();
    await card.getByRole('button', { name: `Revoke ••••${oldKey.slice(-4)}` }).click();
    await page.getByRole('status').filter({ hasText: 'is revoked' }).waitFor();
    expect(await card.locator('tbody tr[data-state="REVOKED"] th').textContent()).toBe(`••••${oldKey.slice(-4)}`);
    const keys = (await world.gql('{ providers { name keys { state last4 } } }')).providers.find((p: { name: string }) => p.name === 'openai').keys;
    expect(keys.map((k: { state: string }) => k.state).sort()).toEqual(['ACTIVE', 'REVOKED']);

    // Both changes are in the audit log, under the admin's name, without the key.
    await visit(page, `${url}/audit`);
    const audit = (await world.gql('{ auditLog(first: 50) { id action actor } }')).auditLog;
    expect(await attributes(page, 'tbody tr[data-event]', 'data-event')).toEqual(audit.map((e: { id: string }) => e.id));
    expect((await texts(page, 'tbody td[data-key="action"]')).slice(0, 2)).toEqual(['revokeProviderKey', 'setProviderKey']);
    expect((await texts(page, 'tbody td[data-key="actor"]')).slice(0, 2)).toEqual(['user:ada@example.com', 'user:ada@example.com']);
    expect(await page.content()).not.toContain(newKey);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Keys: adds a model route from the form (the gateway follows it) and deletes it after a confirmation', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/keys`);
    const form = page.getByRole('form', { name: 'Add or update a model route' });
    await form.getByLabel('Model', { exact: true }).fill('team-coder');
    await form.getByLabel('Provider', { exact: true }).selectOption('anthropic');
    await form.getByLabel('Upstream model', { exact: true }).fill('claude-sonnet-4-5');
    await form.getByRole('button', { name: 'Save route' }).click();
    await page.waitForSelector('tr[data-route] th:text-is("team-coder")');
    const routes = (await world.gql('{ modelRoutes { id model upstreamModel provider { name } } }')).modelRoutes;
    expect(routes).toEqual([{ id: expect.any(String), model: 'team-coder', upstreamModel: 'claude-sonnet-4-5', provider: { name: 'anthropic' } }]);
    expect(await texts(page, `tr[data-route="${routes[0].id}"] td`)).toEqual(expect.arrayContaining(['anthropic', 'claude-sonnet-4-5']));
    await eventually(async () => {
      world.gw.sim.clearReceived();
      const res = await world.gw.fetchFrom(BOB_IP)(`${world.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'team-coder', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
      await res.text();
      expect(res.status).toBe(200);
      expect(world.gw.sim.lastReceived('anthropic')!.body!.model).toBe('claude-sonnet-4-5');
    }, 3000);

    await page.getByRole('button', { name: 'Delete the route of team-coder' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe('Delete the route of team-coder');
    await page.getByRole('button', { name: 'Delete the route of team-coder' }).click();
    await page.getByRole('button', { name: 'Delete team-coder' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted the route of team-coder' }).waitFor();
    expect((await world.gql('{ modelRoutes { id } }')).modelRoutes).toEqual([]);
    expect(await page.locator('tr[data-route]').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Quotas: sets a quota from the form and shows live used/remaining as quotaStatus does', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/quotas`);
    await page.getByText('Set a quota').click();
    await page.getByLabel('Applies to', { exact: true }).fill('user:*');
    await page.getByLabel('Window', { exact: true }).selectOption('DAY');
    await page.getByLabel('Max requests').fill('500');
    await page.getByLabel('Max spend (USD)').fill('25');
    await page.getByRole('button', { name: 'Save quota' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the quota for user:*' }).waitFor();
    const quotas = (await world.gql('{ quotas { id subject window maxRequests maxCostUsd } }')).quotas;
    expect(quotas).toEqual([expect.objectContaining({ subject: 'user:*', window: 'DAY', maxRequests: 500, maxCostUsd: 25 })]);
    expect(await attributes(page, 'section:has(h2:text-is("Budgets")) tbody tr[data-quota]', 'data-quota')).toEqual([quotas[0].id]);

    // Bob uses the gateway once the quota is in the gateway's snapshot: his standing counts it.
    const bobCall = async () => {
      const res = await world.gw.fetchFrom(BOB_IP)(`${world.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      await res.text();
    };
    const standing = async () => (await world.gql('query($p: String) { quotaStatus(principal: $p) { usedRequests remainingRequests usedCostUsd } }', { p: PRINCIPALS.bob })).quotaStatus[0];
    await eventually(async () => {
      await bobCall();
      expect((await standing()).usedRequests).toBeGreaterThan(0);
    }, 5000);
    await page.getByLabel('Principal', { exact: true }).fill(PRINCIPALS.bob);
    await page.getByRole('button', { name: 'Show standing' }).click();
    await page.waitForSelector('table caption:text-is("Standing of user:bob@example.com in the current windows")', { state: 'attached' });
    const before = await standing();
    expect(await column(page, 'section:has(h2:text-is("Live standing")) table', 'usedRequests')).toEqual([before.usedRequests]);
    expect(await page.locator('section:has(h2:text-is("Live standing")) td[data-key="usedRequests"] strong').getAttribute('data-remaining')).toBe(String(500 - before.usedRequests));
    // Live: the page refreshes on its own (every 5 s) and shows the standing after another call.
    // (used = settled + leased budget, so it is compared with the API, not predicted.)
    await bobCall();
    const stamp = await page.textContent('.updated');
    await page.locator('.updated', { hasNotText: stamp! }).waitFor({ timeout: 8000 });
    const after = await standing();
    expect(await column(page, 'section:has(h2:text-is("Live standing")) table', 'usedRequests')).toEqual([after.usedRequests]);
    expect(await page.locator('section:has(h2:text-is("Live standing")) td[data-key="usedRequests"]').textContent()).toContain(`${after.usedRequests} of 500 used, ${after.remainingRequests} left`);
    await screenshot(page, 'admin-quotas-live-1280');

    await page.getByRole('button', { name: 'Delete the quota for user:* per day' }).click();
    await page.getByRole('button', { name: 'Delete quota' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted the quota for user:* per day' }).waitFor();
    expect((await world.gql('{ quotas { id } }')).quotas).toEqual([]);
    expect(await page.locator('section:has(h2:text-is("Live standing")) td.empty').textContent()).toBe('No quota applies.');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('Connect fills in this gateway\'s URL for each client, and copies a snippet', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.gw.url });
    await visit(page, `${url}/connect`);
    const code = (await texts(page, 'pre code')).join('\n');
    const origin = world.gw.url;
    expect(code).toContain(`"ANTHROPIC_BASE_URL": "${origin}"`);
    expect(code).toContain('"apiKeyHelper": "echo tailgate"');
    expect(code).toContain(`base_url = "${origin}/v1"`);
    expect(code).toContain('wire_api = "responses"');
    expect(code).toContain(`GOOGLE_GEMINI_BASE_URL=${origin}`);
    expect(code).toContain(`OpenAI(base_url="${origin}/v1", api_key="tailgate")`);
    expect(code).toContain(`anthropic.Anthropic(base_url="${origin}", api_key="tailgate")`);
    expect(code).toContain(`curl ${origin}/v1/chat/completions`);
    expect(code).toContain(`tailgate connect claude-code --url ${origin}`);
    expect(await page.textContent('main')).toContain('Codex ignores OPENAI_BASE_URL');
    // 127.0.0.1 is a local host, which Gemini CLI accepts over plain http: no warning.
    expect(await page.locator('.alert.warn').count()).toBe(0);
    await page.getByRole('button', { name: 'Copy the Codex configuration' }).click();
    await page.locator('.copy-status', { hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toContain('wire_api = "responses"');

    // Reached by a tailnet name over plain http, the page fills that in, and warns that Gemini
    // CLI needs https for anything but localhost.
    const tailnetOrigin = `http://${TAILNET_HOST}:${new URL(origin).port}`;
    await visit(page, `${tailnetOrigin}/ui/connect`);
    expect((await texts(page, 'pre code')).join('\n')).toContain(`base_url = "${tailnetOrigin}/v1"`);
    expect(await page.textContent('#gemini-cli .alert.warn')).toContain('This URL will not work with Gemini CLI');
    // Not a secure context, so no Clipboard API: the copy falls back to a selection.
    expect(await page.evaluate('window.isSecureContext')).toBe(false);
    await page.getByRole('button', { name: 'Copy the Claude Code settings' }).click();
    await page.locator('#claude-code .copy-status', { hasText: 'Copied.' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('keyboard: a skip link first, Tab walks the sections in order, arrows move along them, focus is visible', async () => {
    const { page, problems, context } = await openPage(browser, WIDTHS.desktop);
    await visit(page, `${url}/`);
    const focused = () => page.evaluate('({ text: document.activeElement.textContent.trim(), id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle, top: document.activeElement.getBoundingClientRect().top })') as Promise<{ text: string; id: string; outline: string; top: number }>;
    await page.keyboard.press('Tab');
    const skip = await focused();
    expect(skip).toMatchObject({ text: 'Skip to content', outline: 'solid' });
    expect(skip.top).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    expect((await focused()).id).toBe('main');

    await visit(page, `${url}/`);
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // brand
    expect((await focused()).text).toBe('Tailgate');
    const walked: string[] = [];
    for (let i = 0; i < NAV.length; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      expect(f.outline).toBe('solid');
      walked.push(f.text);
    }
    expect(walked).toEqual(NAV);
    await page.keyboard.press('Home');
    expect((await focused()).text).toBe('Overview');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect((await focused()).text).toBe('Tools');
    await page.keyboard.press('End');
    expect((await focused()).text).toBe('Connect');
    await page.keyboard.press('ArrowUp');
    expect((await focused()).text).toBe('Audit');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/audit$/);
    await settled(page);
    expect(await page.evaluate('document.activeElement.tagName + " " + document.activeElement.textContent')).toBe('H1 Audit');
    expect(await page.getAttribute('#nav-list a[aria-current="page"]', 'href')).toBe('/ui/audit');

    // Changing the range re-renders the page but leaves focus on the range control.
    await visit(page, `${url}/tools`);
    await page.focus('select[name="range"]');
    await page.keyboard.press('ArrowUp'); // Last 30 days → Last 7 days
    await page.waitForURL(/range=7d/);
    await settled(page);
    expect(await page.evaluate('document.activeElement.name + " " + document.activeElement.value')).toBe('range 7d');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('text meets WCAG AA contrast in the light and the dark scheme', async () => {
    const selectors = ['h1', '.lead', '.muted', '.who', '#nav-list a', '#nav-list a[aria-current="page"]', '.figure dt', '.figure dd', '.figure-note', 'thead th', 'tbody td', 'tbody th', '.badge', '.button.primary', '.button.secondary', 'label', '.chart-legend li', '.chart-data summary', '.hint'];
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems, context } = await openPage(browser, WIDTHS.desktop, { colorScheme });
      for (const path of ['', 'keys', 'adoption']) {
        await visit(page, `${url}/${path}`);
        for (const selector of selectors) {
          for (const c of await contrastOf(page, selector)) {
            if (c.ratio < 4.5) throw new Error(`${colorScheme} /ui/${path} ${selector} "${c.text}": ${c.color} on ${c.background} is ${c.ratio.toFixed(2)}:1, below 4.5:1`);
          }
        }
      }
      if (colorScheme === 'dark') await screenshot(page, 'admin-adoption-dark-1280');
      expect(problems).toEqual([]);
      await context.close();
    }
  });
});
