// What every page does: name itself (document.body.dataset.page, the
// title), load its data, and say when that is done (dataset.ready = "1",
// dataset.readyUrl the URL it was loaded for, dataset.loads counts
// completed loads) so tests and people know.
import { useCallback, useEffect, useRef, useState } from './vendor/hooks.mjs';

export function usePage(name, title) {
  useEffect(() => {
    document.body.dataset.page = name;
    document.body.dataset.ready = '0';
  }, [name]);
  useEffect(() => {
    document.title = title ? `${title} · Signet` : 'Signet';
  }, [title]);
}

function markLoaded() {
  document.body.dataset.ready = '1';
  // Which URL the data shown belongs to (a navigation makes it stale).
  document.body.dataset.readyUrl = location.pathname + location.search;
  document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
}

/**
 * Runs loader() when deps change; reload() runs it again keeping what is
 * shown until the answer arrives (for live updates). Answers to older runs
 * are dropped.
 */
export function useLoad(loader, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const run = useRef(0);
  const latest = useRef(loader);
  latest.current = loader;

  const load = useCallback(async (quiet) => {
    const mine = ++run.current;
    if (!quiet) {
      document.body.dataset.ready = '0';
      setState((s) => ({ loading: true, data: s.data, error: null }));
    }
    try {
      const data = await latest.current();
      if (mine !== run.current) return;
      setState({ loading: false, data, error: null });
    } catch (error) {
      if (mine !== run.current) return;
      setState((s) => ({ loading: false, data: quiet ? s.data : null, error }));
    }
    // After the render of the new state.
    setTimeout(() => mine === run.current && markLoaded(), 0);
  }, []);

  useEffect(() => {
    load(false);
  }, deps);

  const reload = useCallback(() => load(true), [load]);
  return { ...state, reload, setData: (fn) => setState((s) => ({ ...s, data: fn(s.data) })) };
}

/** value, once it has not changed for ms. */
export function useDebounced(value, ms) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
