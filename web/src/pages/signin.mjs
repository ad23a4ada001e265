// Sign-in: with an API token (a session is made from it; the token is not
// kept in the browser), or through the identity provider when one is set up.
import { html } from '../html.mjs';
import { api, messageOf } from '../api.mjs';
import { usePage, useLoad } from '../page-hooks.mjs';
import { useState } from '../vendor/hooks.mjs';
import { ErrorNotice, Loading } from '../components/notice.mjs';

export function safeReturn(to) {
  return typeof to === 'string' && to.startsWith('/ui/') && !to.includes('//') && !to.includes('\\') && !to.startsWith('/ui/signin') ? to : '/ui/';
}

export function SignInPage({ route, onSignedIn }) {
  usePage('signin', 'Sign in');
  const returnTo = safeReturn(route.params.get('return_to'));
  const options = useLoad(() => api.get('/v1/session/options'), []);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    if (!token.trim()) {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post('/v1/session', { token: token.trim() }, { quiet401: true });
      setToken('');
      onSignedIn({ user: answer.user, csrf: answer.csrf }, returnTo);
    } catch (err) {
      setError(err.status === 401 ? 'That token is invalid, expired or revoked.' : messageOf(err));
      setBusy(false);
    }
  };

  const o = options.data;
  return html`<section class="signin">
    <div class="signin-card">
      <p class="brand brand-large" aria-hidden="true"><span class="brand-mark"></span>Signet</p>
      <h1 tabindex="-1">Sign in</h1>
      ${options.loading && !o && html`<${Loading} />`}
      ${options.error && html`<${ErrorNotice} error=${options.error} title="Sign-in options could not be loaded" onRetry=${options.reload} />`}
      ${o && o.oidc && html`<a class="button button-primary button-block" data-testid="oidc-sign-in"
          href=${`${o.oidc.login_url}?return_to=${encodeURIComponent(returnTo)}`}>Sign in with ${o.oidc.name || 'your identity provider'}</a>`}
      ${o && o.oidc && o.token && html`<p class="divider"><span>or</span></p>`}
      ${o && o.token && html`<form onSubmit=${submit} class="signin-form" novalidate>
        <div class="field">
          <label for="signin-token">API token</label>
          <input id="signin-token" type="password" name="token" data-testid="token-input" autocomplete="off" spellcheck=${false}
            value=${token} onInput=${(e) => setToken(e.currentTarget.value)} aria-describedby="signin-token-help"
            aria-invalid=${error ? 'true' : undefined} />
          <p id="signin-token-help" class="hint">A token made with <code>signet token create</code>, starting with <code>sgt_</code>. It is exchanged for a session and not stored in this browser.</p>
        </div>
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
        <button type="submit" class="button button-primary button-block" data-testid="sign-in" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>`}
      ${o && !o.token && !o.oidc && html`<p class="notice notice-error">No way of signing in is enabled on this host.</p>`}
    </div>
  </section>`;
}
