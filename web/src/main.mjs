// The dashboard's shell: who is signed in, the navigation, the live
// indicator, and which page the URL names.
import { html, render } from './html.mjs';
import { api, onUnauthenticated, setCsrf } from './api.mjs';
import { interceptLinks, match, navigate, useRoute } from './router.mjs';
import { live, useLiveStatus } from './live.mjs';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';
import { OverviewPage } from './pages/overview.mjs';
import { InventoryPage } from './pages/inventory.mjs';
import { CertificatePage } from './pages/certificate.mjs';
import { TimelinePage } from './pages/timeline.mjs';
import { RequestsPage } from './pages/requests.mjs';
import { AuditPage } from './pages/audit.mjs';
import { AdminPage } from './pages/admin.mjs';
import { SignInPage, safeReturn } from './pages/signin.mjs';
import { NotFoundPage } from './pages/notfound.mjs';
import { Loading } from './components/notice.mjs';

const has = (can, grant) => !!can && !!can[grant] && can[grant] !== 'none';

function navItems(can) {
  return [
    ['/ui/', 'Overview', 'overview', true],
    ['/ui/inventory', 'Inventory', 'inventory', has(can, 'cert:read')],
    ['/ui/timeline', 'Timeline', 'timeline', has(can, 'cert:read')],
    ['/ui/requests', 'Requests', 'requests', has(can, 'cert:read') || has(can, 'request:read')],
    ['/ui/audit', 'Audit', 'audit', has(can, 'audit:read')],
    ['/ui/admin', 'Admin', 'admin', has(can, 'tenant:read') || has(can, 'token:read') || has(can, 'approle:read') || has(can, 'ca:read')],
  ].filter((item) => item[3]);
}

const LIVE_TEXT = {
  off: 'Live updates off',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling',
  unavailable: 'Live updates unavailable',
};

function LiveIndicator() {
  const status = useLiveStatus();
  return html`<p class=${`live live-${status}`} aria-live="polite" data-testid="live-status" data-status=${status}>
    <span class="live-dot" aria-hidden="true"></span>${LIVE_TEXT[status] || status}
  </p>`;
}

function Header({ session, page, onSignOut }) {
  const user = session.user;
  return html`<header class="app-header">
    <a class="brand" href="/ui/"><span class="brand-mark" aria-hidden="true"></span>Signet</a>
    <nav class="app-nav" aria-label="Main">
      <ul>
        ${navItems(user.can).map(([href, label, name]) => html`<li key=${name}>
          <a href=${href} aria-current=${page === name || (name === 'inventory' && page === 'certificate') ? 'page' : undefined}>${label}</a>
        </li>`)}
      </ul>
    </nav>
    <div class="app-user">
      <${LiveIndicator} />
      <span class="user-name" title=${`${user.id} · ${(user.roles || []).join(', ')}`}>${user.name}<span class="user-tenant"> · ${user.tenant}</span></span>
      <button type="button" class="button button-small button-quiet" data-testid="sign-out" onClick=${onSignOut}>Sign out</button>
    </div>
  </header>`;
}

function Page({ route, where, session, onSignedIn }) {
  switch (where.name) {
    case 'overview': return html`<${OverviewPage} session=${session} />`;
    case 'inventory': return html`<${InventoryPage} session=${session} route=${route} />`;
    case 'certificate': return html`<${CertificatePage} key=${where.id} session=${session} id=${where.id} />`;
    case 'timeline': return html`<${TimelinePage} session=${session} route=${route} />`;
    case 'requests': return html`<${RequestsPage} session=${session} route=${route} />`;
    case 'audit': return html`<${AuditPage} session=${session} route=${route} />`;
    case 'admin': return html`<${AdminPage} session=${session} />`;
    case 'signin': return html`<${SignInPage} route=${route} onSignedIn=${onSignedIn} />`;
    default: return html`<${NotFoundPage} />`;
  }
}

function App() {
  const route = useRoute();
  const where = match(route.path);
  const [session, setSession] = useState(undefined); // undefined: asking; null: signed out
  const firstRender = useRef(true);

  useEffect(() => {
    api.get('/v1/session', { quiet401: true }).then(
      (answer) => setSession({ user: answer.user, csrf: answer.csrf }),
      () => setSession(null),
    );
    return onUnauthenticated(() => setSession(null));
  }, []);

  useEffect(() => {
    setCsrf(session ? session.csrf : null);
    if (session) live.start();
    else live.stop();
  }, [session]);

  // Signed out: the sign-in page, coming back here afterwards.
  useEffect(() => {
    if (session === null && where.name !== 'signin') {
      navigate(`/ui/signin?return_to=${encodeURIComponent(route.path + route.search)}`, { replace: true });
    } else if (session && where.name === 'signin') {
      navigate(safeReturn(route.params.get('return_to')), { replace: true });
    }
  }, [session, where.name]);

  // After navigating, focus the new page's heading, so a screen reader announces it.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = document.querySelector('main h1');
    if (heading && !document.querySelector('dialog[open]')) heading.focus({ preventScroll: false });
  }, [route.path]);

  const signOut = async () => {
    try {
      await api.del('/v1/session');
    } catch {
      // Signed out anyway: the cookie is cleared or already invalid.
    }
    live.stop();
    setSession(null);
  };
  const signedIn = (next, returnTo) => {
    setSession(next);
    navigate(returnTo, { replace: true });
  };

  if (session === undefined) return html`<main id="main" class="app-main"><${Loading} label="Checking your session…" /></main>`;
  if (session === null || where.name === 'signin') {
    return html`<main id="main" class="app-main app-main-bare" tabindex="-1">
      ${where.name === 'signin' && !session ? html`<${SignInPage} route=${route} onSignedIn=${signedIn} />` : html`<${Loading} />`}
    </main>`;
  }
  return html`<a class="skip-link" href="#main">Skip to main content</a>
    <${Header} session=${session} page=${where.name} onSignOut=${signOut} />
    <main id="main" class="app-main" tabindex="-1">
      <${Page} route=${route} where=${where} session=${session} onSignedIn=${signedIn} />
    </main>`;
}

interceptLinks();
render(html`<${App} />`, document.getElementById('app'));
