// Client-side navigation under /ui/ with the History API. The gateway answers every extension-less
// /ui/... path with index.html, so any URL here can be reloaded or shared.

export const BASE = '/ui/';

/** Calls `onRoute(url, { replace })` for in-app link clicks, back/forward, and navigate(). */
export function startRouter(onRoute) {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!link || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
    // Same-page fragments (the skip link) keep their native behaviour: move focus to the target.
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => onRoute(new URL(location.href), { replace: false }));

  /** `replace`: the same page in another state (a new range or filter), not a new page. */
  function navigate(path, { replace = false } = {}) {
    const url = new URL(path, location.href);
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    onRoute(url, { replace });
  }
  return navigate;
}
