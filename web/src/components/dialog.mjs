// A modal <dialog> opened with showModal(): the browser keeps focus inside
// it and closes it on Escape; focus returns to what opened it.
import { html } from '../html.mjs';
import { useEffect, useRef } from '../vendor/hooks.mjs';

let nextId = 0;

export function Dialog({ open, title, onClose, children, className = '' }) {
  const ref = useRef(null);
  const opener = useRef(null);
  const titleId = useRef(`dialog-title-${++nextId}`);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
      const first = dialog.querySelector('[autofocus], select, input, textarea, button:not(.dialog-close)');
      if (first) first.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return undefined;
    const closed = () => {
      const back = opener.current;
      opener.current = null;
      if (back && back.isConnected && typeof back.focus === 'function') back.focus();
      if (open) onClose();
    };
    dialog.addEventListener('close', closed);
    return () => dialog.removeEventListener('close', closed);
  }, [open, onClose]);

  return html`<dialog ref=${ref} class=${`dialog ${className}`} aria-labelledby=${titleId.current}>
    <div class="dialog-head">
      <h2 id=${titleId.current}>${title}</h2>
      <button type="button" class="dialog-close button-quiet" aria-label="Close" onClick=${() => ref.current && ref.current.close()}>×</button>
    </div>
    ${open && children}
  </dialog>`;
}

/**
 * A dialog that asks to confirm an action. onConfirm() may return a
 * promise; the dialog stays open while it runs and shows its error.
 */
export function ConfirmDialog({ open, title, confirmLabel, danger = false, busy = false, error = null, onConfirm, onCancel, children, testid }) {
  const submit = (event) => {
    event.preventDefault();
    if (!busy) onConfirm(new FormData(event.currentTarget));
  };
  return html`<${Dialog} open=${open} title=${title} onClose=${onCancel}>
    <form class="dialog-body" onSubmit=${submit}>
      ${children}
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <div class="dialog-actions">
        <button type="button" class="button" onClick=${onCancel}>Cancel</button>
        <button type="submit" class=${`button ${danger ? 'button-danger' : 'button-primary'}`} disabled=${busy}
          data-testid=${testid}>${busy ? 'Working…' : confirmLabel}</button>
      </div>
    </form>
  <//>`;
}
