// Boot: ask the API who this is (the gateway identified the connection through Tailscale), show
// the sections they may use, and render the page the URL names.

import { gql } from './api.js';
import { h, replace } from './dom.js';
import { startRouter } from './router.js';
import * as overview from './pages/overview.js';
import * as sessions from './pages/sessions.js';
import * as session from './pages/session.js';
import * as tools from './pages/tools.js';
import * as adoption from './pages/adoption.js';
import * as keys from './pages/keys.js';
import * as quotas from './pages/quotas.js';
import * as audit from './pages/audit.js';
import * as connect from './pages/connect.js';
import { errorBox } from './pages/common.js';

/** The navigation sections, in order. Admin sections are hidden from others (the API refuses them anyway). */
const SECTIONS = [
  { path: '/ui/', name: 'Overview', page: overview },
  { path: '/ui/sessions', name: 'Sessions', page: sessions },
  { path: '/ui/tools', name: 'Tools', page: tools },
  { path: '/ui/adoption', name: 'Adoption', page: adoption, admin: true },
  { path: '/ui/keys', name: 'Keys', page: keys, admin: true },
  { path: '/ui/quotas', name: 'Quotas', page: quotas, admin: true },
  { path: '/ui/audit', name: 'Audit', page: audit, admin: true },
  { path: '/ui/connect', name: 'Connect', page: connect },
];
const SUBPAGES = [{ path: '/ui/session', name: 'Session', section: 'Sessions', page: session }];

const main = document.getElementById('main');
let me = null;
/** The shown page's AbortController: aborting it cancels its requests and stops its timers. */
let current = null;
let firstRender = true;
let navigate = () => {};

function routeFor(pathname) {
  const path = pathname === '/ui/index.html' ? '/ui/' : pathname.length > 4 ? pathname.replace(/\/+$/, '') : pathname;
  const section = SECTIONS.find((x) => x.path === path);
  if (section) return { ...section, section: section.name };
  return SUBPAGES.find((x) => x.path === path) ?? null;
}

function renderNav() {
  const list = document.getElementById('nav-list');
  replace(list, SECTIONS.filter((x) => !x.admin || me.isAdmin).map((x) => h('li', {}, h('a', { href: x.path, dataset: { section: x.name } }, x.name))));
  // Arrow keys, Home and End move between sections; Tab still walks them in order.
  list.addEventListener('keydown', (event) => {
    const links = [...list.querySelectorAll('a')];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: links.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    links[(next + links.length) % links.length].focus();
  });
}

function markCurrent(sectionName) {
  for (const link of document.querySelectorAll('#nav-list a')) {
    if (link.dataset.section === sectionName) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/**
 * Renders the page `url` names. Focus goes to the new page's heading after a navigation; after a
 * change of state on the same page (replace), it returns to the control that made it.
 */
async function render(url, { replace: sameView = false } = {}) {
  const focusedName = sameView ? document.activeElement?.getAttribute('name') : null;
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const route = routeFor(url.pathname);
  markCurrent(route?.section ?? null);
  document.title = `${route?.name ?? 'Not found'} · Tailgate`;
  main.replaceChildren();
  main.dataset.state = 'loading';
  main.setAttribute('aria-busy', 'true');
  const focusHeading = !firstRender && !sameView;
  firstRender = false;
  try {
    if (!route) {
      main.append(h('h1', { tabindex: '-1' }, 'Page not found'), h('p', {}, 'There is no such page. ', h('a', { href: '/ui/' }, 'Go to the overview'), '.'));
    } else if (route.admin && !me.isAdmin) {
      main.append(h('h1', { tabindex: '-1' }, route.name),
        h('p', { class: 'notice' }, `${route.name} is for Tailgate admins. Your Tailscale identity (${me.id}) does not have the admin role.`));
    } else {
      const ctx = { main, me, params: url.searchParams, url, navigate, signal: controller.signal };
      const pending = route.page.render(ctx);
      if (focusHeading) main.querySelector('h1')?.focus();
      await pending;
    }
    if (controller.signal.aborted) return;
    main.dataset.state = 'ready';
  } catch (err) {
    if (controller.signal.aborted || err?.name === 'AbortError') return;
    main.append(errorBox(err));
    main.dataset.state = 'error';
  } finally {
    if (!controller.signal.aborted) main.removeAttribute('aria-busy');
  }
  if (focusedName) main.querySelector(`[name="${CSS.escape(focusedName)}"]`)?.focus();
  else if (focusHeading && document.activeElement === document.body) main.querySelector('h1')?.focus();
}

async function boot() {
  try {
    ({ me } = await gql('query Me { me { id kind login displayName isAdmin } }'));
  } catch (err) {
    main.replaceChildren(h('h1', {}, 'Tailgate'), errorBox(err));
    main.dataset.state = 'error';
    return;
  }
  replace(document.getElementById('who'), 'Signed in through Tailscale as ', h('strong', {}, me.login ?? me.id), me.isAdmin ? ' (admin)' : '');
  renderNav();
  navigate = startRouter((url, how) => render(url, how));
  await render(new URL(location.href));
}

void boot();
