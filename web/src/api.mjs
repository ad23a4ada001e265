// Calls to the host's JSON API, same origin, authenticated by the session
// cookie. Every call that changes something carries the session's CSRF
// token; errors become ApiError with the server's message.
let csrfToken = null;
const unauthenticatedListeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, requestId = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

/** fn() is called when the server answers 401 to a call (the session ended). */
export function onUnauthenticated(fn) {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

/** '?a=1&b=x' from an object or URLSearchParams, leaving out empty values. */
export function query(params) {
  const out = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? params.entries() : Object.entries(params || {});
  for (const [key, value] of entries) {
    if (value === undefined || value === null || value === '') continue;
    out.append(key, String(value));
  }
  const text = out.toString();
  return text ? `?${text}` : '';
}

/**
 * options: signal (AbortSignal), quiet401 (do not report a 401 as the end
 * of the session), acceptStatus (non-2xx statuses whose JSON body is still
 * the answer, such as 503 from /ready).
 */
export async function request(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  const accepted = options.acceptStatus && options.acceptStatus.includes(response.status);
  if (response.ok || accepted) return json;
  const error = json && json.error ? json.error : {};
  const failure = new ApiError(
    response.status,
    error.code || `http_${response.status}`,
    error.message || `The server answered ${response.status} ${response.statusText}`.trim(),
    error.request_id || response.headers.get('X-Request-Id'),
  );
  if (response.status === 401 && !options.quiet401) for (const fn of unauthenticatedListeners) fn(failure);
  throw failure;
}

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body = {}, options) => request('POST', path, body, options),
  put: (path, body = {}, options) => request('PUT', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};

/** { ok: true, value } or { ok: false, error }: for panels that may fail alone. */
export async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A message for people from any error. */
export function messageOf(error) {
  if (!error) return '';
  if (error instanceof ApiError) {
    return error.requestId ? `${error.message} (request ${error.requestId})` : error.message;
  }
  return error.message || String(error);
}
