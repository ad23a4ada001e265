// Client-side routing under /ui/ with the History API. Links are plain
// <a href="/ui/..."> elements: a click on one is turned into pushState
// (see interceptLinks), so they still work with a middle click or
// "open in new tab", and the server answers index.html for every page.
import { useEffect, useState } from './vendor/hooks.mjs';

export const BASE = '/ui';
const EVENT = 'signet:navigate';

export function navigate(to, { replace = false } = {}) {
  const current = location.pathname + location.search;
  if (to === current && !replace) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  window.dispatchEvent(new Event(EVENT));
}

function current() {
  return { path: location.pathname, search: location.search, params: new URLSearchParams(location.search) };
}

/** The current location; re-renders on navigation and on back/forward. */
export function useRoute() {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return route;
}

/** Which page a path names: { name, id? }. */
export function match(path) {
  const rest = path.startsWith(`${BASE}/`) ? path.slice(BASE.length + 1) : path === BASE ? '' : null;
  if (rest === null) return { name: 'notfound' };
  const parts = rest.split('/').filter(Boolean);
  if (parts.length === 0) return { name: 'overview' };
  if (parts[0] === 'certificates' && parts.length === 2) return { name: 'certificate', id: decodeURIComponent(parts[1]) };
  const pages = ['inventory', 'timeline', 'requests', 'audit', 'admin', 'signin'];
  if (parts.length === 1 && pages.includes(parts[0])) return { name: parts[0] };
  return { name: 'notfound' };
}

/** Clicks on same-origin /ui/ links navigate without a page load. */
export function interceptLinks(root = document) {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = event.target.closest && event.target.closest('a[href]');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`))) return;
    if (url.pathname.includes('.')) return; // a file, not a page
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return; // in-page (skip link)
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
