// The natural-language search box: what it understood is shown as chips
// while typing (GET /v1/search/parse, debounced); Enter applies them.
import { html } from '../html.mjs';
import { api, query, settle } from '../api.mjs';
import { useEffect, useRef, useState } from '../vendor/hooks.mjs';
import { ChipList } from './chips.mjs';

const DEBOUNCE_MS = 300;

async function parse(q) {
  const answer = await api.get(`/v1/search/parse${query({ q })}`);
  return (answer && answer.chips) || [];
}

/** onApply(chips) with the chips of the text typed (or [{field:'q', value}] if it could not be parsed). */
export function SearchBox({ onApply, placeholder = 'Search: e.g. "rsa 2048 expiring in 30 days owner:payments"' }) {
  const [text, setText] = useState('');
  const [preview, setPreview] = useState({ q: '', chips: [] });
  const timer = useRef(null);
  const pending = useRef(null);

  useEffect(() => () => clearTimeout(timer.current), []);

  const understand = (q) => {
    const run = parse(q);
    pending.current = { q, run };
    run.then(
      (chips) => {
        if (pending.current && pending.current.q === q) setPreview({ q, chips });
      },
      () => {},
    );
    return run;
  };

  const onInput = (event) => {
    const q = event.currentTarget.value;
    setText(q);
    clearTimeout(timer.current);
    if (!q.trim()) {
      pending.current = null;
      setPreview({ q: '', chips: [] });
      return;
    }
    timer.current = setTimeout(() => understand(q.trim()), DEBOUNCE_MS);
  };

  const apply = async (event) => {
    event.preventDefault();
    const q = text.trim();
    if (!q) return;
    clearTimeout(timer.current);
    const run = pending.current && pending.current.q === q ? pending.current.run : understand(q);
    const parsed = await settle(run);
    const chips = parsed.ok ? parsed.value : [{ field: 'q', value: q }];
    setText('');
    setPreview({ q: '', chips: [] });
    pending.current = null;
    onApply(chips);
  };

  const showPreview = text.trim() && preview.q === text.trim() && preview.chips.length > 0;
  return html`<form class="search" role="search" onSubmit=${apply}>
    <label for="inventory-search" class="search-label">Search certificates</label>
    <div class="search-row">
      <input id="inventory-search" type="search" class="search-input" data-testid="search" value=${text}
        onInput=${onInput} placeholder=${placeholder} autocomplete="off" spellcheck=${false}
        aria-describedby="search-help" />
      <button type="submit" class="button button-primary">Search</button>
    </div>
    <p id="search-help" class="hint">Plain words are understood as filters; press Enter to apply them.</p>
    <div class="search-preview" aria-live="polite">
      ${showPreview && html`<span class="hint">Understood:</span>
        <${ChipList} chips=${preview.chips} preview=${true} label="Understood filters" />`}
    </div>
  </form>`;
}
