// The live feed: a WebSocket to /v1/events/ws (the session cookie
// authenticates it), reconnecting with back-off and resuming from the last
// cursor; after two connection attempts in a row that never opened, long
// polling of GET /v1/events. Pages subscribe to events; the shell shows the
// status. document.body.dataset.liveEvents counts the events received
// (stats ticks are not events).
import { api, ApiError } from './api.mjs';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';

const BACKOFF = [1000, 2000, 4000, 8000, 15000];
const RETRY_UNAVAILABLE = 60000;
const POLL_WAIT_SECONDS = 20;

function backoff(attempt) {
  return BACKOFF[Math.min(attempt, BACKOFF.length - 1)];
}

export function createLiveFeed({ wsUrl, pollPath = '/v1/events', WebSocketImpl = globalThis.WebSocket } = {}) {
  let status = 'off'; // off | connecting | live | reconnecting | polling | unavailable
  let cursor = null;
  let count = 0;
  let running = false;
  let socket = null;
  let timer = null;
  let attempts = 0; // reconnects since the last open
  let failedOpens = 0; // attempts in a row that never opened
  let poller = null; // AbortController of the running poll
  const eventListeners = new Set();
  const statusListeners = new Set();

  const url = () => {
    const base = wsUrl || `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/events/ws`;
    return cursor ? `${base}?since=${encodeURIComponent(cursor)}` : base;
  };

  function setStatus(next) {
    if (status === next) return;
    status = next;
    for (const fn of statusListeners) fn(status);
  }

  function deliver(message) {
    if (!message || typeof message !== 'object') return;
    if (message.cursor) cursor = message.cursor;
    if (message.type !== 'stats') {
      count += 1;
      if (typeof document !== 'undefined') document.body.dataset.liveEvents = String(count);
    }
    for (const fn of eventListeners) {
      try {
        fn(message);
      } catch (err) {
        console.error('live event listener failed', err);
      }
    }
  }

  function later(fn, ms) {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  }

  function connect() {
    if (!running) return;
    clearTimeout(timer);
    setStatus(attempts === 0 && failedOpens === 0 ? 'connecting' : 'reconnecting');
    let opened = false;
    let ws;
    try {
      ws = new WebSocketImpl(url());
    } catch {
      closed(false);
      return;
    }
    socket = ws;
    ws.onopen = () => {
      opened = true;
      attempts = 0;
      failedOpens = 0;
      setStatus('live');
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      deliver(message);
    };
    ws.onerror = () => {}; // a close follows
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      closed(opened);
    };
  }

  function closed(opened) {
    if (!running) return;
    if (!opened) failedOpens += 1;
    if (failedOpens >= 2) {
      startPolling();
      return;
    }
    setStatus('reconnecting');
    later(connect, backoff(attempts++));
  }

  async function startPolling() {
    if (!running || poller) return;
    setStatus('polling');
    const controller = new AbortController();
    poller = controller;
    let failures = 0;
    while (running && poller === controller) {
      try {
        const params = new URLSearchParams({ wait: String(POLL_WAIT_SECONDS) });
        if (cursor) params.set('since', cursor);
        const answer = await api.get(`${pollPath}?${params}`, { signal: controller.signal });
        failures = 0;
        setStatus('polling');
        for (const event of (answer && answer.events) || []) deliver(event);
        if (answer && answer.next) cursor = answer.next;
      } catch (err) {
        if (!running || poller !== controller || (err && err.name === 'AbortError')) return;
        if (err instanceof ApiError && err.status === 401) {
          stop();
          return;
        }
        if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)) {
          // Neither the WebSocket nor polling exists on this host: try
          // again now and then (a newer host may be deployed meanwhile).
          poller = null;
          setStatus('unavailable');
          failedOpens = 0;
          attempts = 0;
          later(connect, RETRY_UNAVAILABLE);
          return;
        }
        failures += 1;
        setStatus('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, backoff(failures - 1)));
      }
    }
  }

  function start() {
    if (running) return;
    running = true;
    attempts = 0;
    failedOpens = 0;
    connect();
  }

  function stop() {
    running = false;
    clearTimeout(timer);
    if (poller) poller.abort();
    poller = null;
    if (socket) {
      const ws = socket;
      socket = null;
      ws.onclose = null;
      ws.close();
    }
    setStatus('off');
  }

  return {
    start,
    stop,
    get status() {
      return status;
    },
    get cursor() {
      return cursor;
    },
    get count() {
      return count;
    },
    subscribe(fn) {
      eventListeners.add(fn);
      return () => eventListeners.delete(fn);
    },
    onStatus(fn) {
      statusListeners.add(fn);
      return () => statusListeners.delete(fn);
    },
  };
}

export const live = createLiveFeed();

export function useLiveStatus() {
  const [status, setStatus] = useState(live.status);
  useEffect(() => {
    setStatus(live.status);
    return live.onStatus(setStatus);
  }, []);
  return status;
}

/** fn(message) for every message of the feed while the component is shown. */
export function useLiveEvents(fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.subscribe((message) => ref.current(message)), []);
}

const CHANGE_PREFIXES = ['certificate.', 'request.'];

export function isChange(message) {
  return !!message && typeof message.type === 'string' && CHANGE_PREFIXES.some((p) => message.type.startsWith(p));
}

/**
 * Calls reload() shortly after certificate and request events that
 * relevant(message) accepts (all of them by default), coalescing bursts.
 */
export function useLiveRefresh(reload, relevant = () => true, delay = 150) {
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  useLiveEvents((message) => {
    if (!isChange(message) || !relevant(message)) return;
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      reload();
    }, delay);
  });
}
