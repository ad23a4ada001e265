// Table pieces: sortable column headers, a scrollable wrapper, and paging
// by server cursors (Previous pops a stack of the cursors seen).
import { html } from '../html.mjs';
import { useState } from '../vendor/hooks.mjs';

/** A <th> whose button sorts by `field`; aria-sort only on the sorted one. */
export function SortHeader({ label, field, sort, order, onSort, className = '' }) {
  const active = sort === field;
  const ariaSort = active ? (order === 'asc' ? 'ascending' : 'descending') : undefined;
  return html`<th scope="col" class=${className} aria-sort=${ariaSort}>
    <button type="button" class="sort-button" data-testid=${`sort-${field}`} onClick=${() => onSort(field)}>
      ${label}<span class="sort-mark" aria-hidden="true">${active ? (order === 'asc' ? '▲' : '▼') : '↕'}</span>
    </button>
  </th>`;
}

/** A wide table scrolls inside a focusable region rather than the page. */
export function TableWrap({ label, children }) {
  return html`<div class="table-wrap" role="region" aria-label=${`${label} (table)`} tabindex="0">${children}</div>`;
}

/**
 * Cursor paging that starts over whenever `key` (the filters) changes.
 * Returns { cursor, page, next(cursor), previous() }.
 */
export function useCursorPager(key) {
  const [state, setState] = useState({ key, stack: [] });
  const stack = state.key === key ? state.stack : [];
  return {
    cursor: stack.length ? stack[stack.length - 1] : undefined,
    page: stack.length + 1,
    next: (cursor) => setState({ key, stack: [...stack, cursor] }),
    previous: () => setState({ key, stack: stack.slice(0, -1) }),
  };
}

export function Pager({ pager, nextCursor, count, label = 'items' }) {
  if (pager.page === 1 && !nextCursor) return null;
  return html`<nav class="pager" aria-label="Pages">
    <button type="button" class="button" disabled=${pager.page === 1} onClick=${pager.previous} data-testid="previous-page">
      ← Previous
    </button>
    <span class="pager-info">Page ${pager.page}${count !== undefined ? ` · ${count} ${label}` : ''}</span>
    <button type="button" class="button" disabled=${!nextCursor} onClick=${() => pager.next(nextCursor)} data-testid="next-page">
      Next →
    </button>
  </nav>`;
}
