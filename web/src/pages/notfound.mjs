import { html } from '../html.mjs';
import { usePage } from '../page-hooks.mjs';
import { useEffect } from '../vendor/hooks.mjs';

export function NotFoundPage() {
  usePage('notfound', 'Not found');
  useEffect(() => {
    document.body.dataset.ready = '1';
  }, []);
  return html`<section class="page">
    <h1 tabindex="-1">Page not found</h1>
    <p>There is no such page. <a href="/ui/">Go to the overview</a>.</p>
  </section>`;
}
