/**
 * Stand-in for the official browser client, `@relaybox/client` v1, which the example pages
 * import from a public CDN (`https://esm.sh/@relaybox/client@1`). The browser tests have no
 * internet, so they answer that module request with this file.
 *
 * It reproduces exactly what the real client does towards an auth endpoint, because that is
 * the contract the examples must honour:
 *   - `GET` unless `authRequestOptions.method` says otherwise; `authRequestOptions` is spread
 *     into the fetch options (so `credentials` and `mode` are as configured), then
 *     `cache: 'no-store'` and a 10 s timeout are added;
 *   - headers `{'Content-Type': 'application/json', ...authHeaders}`, plus `X-Client-Id`
 *     when the client was given a `clientId`;
 *   - `authParams` appended to the endpoint URL with `URLSearchParams.append`; `authHeaders`
 *     and `authParams` may be objects or functions returning one (called once, at construction);
 *   - a non-2xx answer makes `connect()` reject;
 *   - with `authTokenLifeCycle: 'expiry'`, a refresh `(expiresIn - 20) * 1000` ms after each
 *     token, and after a failed refresh a retry in 10000 + random(2000) ms.
 * The real client then opens a WebSocket to Relaybox's service with the token; there is no
 * such service here, so holding a token counts as connected: `connection` emits 'connect'
 * and `connect()` resolves. Only the `authEndpoint` flow is reproduced (not `apiKey`,
 * `authAction` or `authFunction`), and nothing past connecting (rooms, presence).
 *
 * Every auth request and its outcome is recorded in `window.__relayboxStandIn.requests` for the
 * tests to read: `{refresh, method, url, headers, credentials, mode, startedAt, status, body,
 * error, finishedAt}` (`status` is null and `error` set when the fetch itself failed, as a
 * request refused by CORS does).
 */

const REFRESH_BUFFER_SECONDS = 20;
const REFRESH_RETRY_MS = 10000;
const REFRESH_JITTER_RANGE_MS = 2000;
const REQUEST_TIMEOUT_MS = 10000;

const log = (window.__relayboxStandIn = window.__relayboxStandIn || { requests: [] });

export class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class HTTPRequestError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'HTTPRequestError';
    this.status = status;
  }
}

/** The little of eventemitter3's interface that pages use on `relayBox.connection`. */
class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  on(event, handler) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(handler);
    return this;
  }

  off(event, handler) {
    this.listeners.set(event, (this.listeners.get(event) || []).filter((h) => h !== handler));
    return this;
  }

  emit(event, ...args) {
    for (const handler of this.listeners.get(event) || []) handler(...args);
    return true;
  }
}

function checkPairs(value, what) {
  if (value && (typeof value !== 'object' || Array.isArray(value))) {
    throw new ValidationError(`Please supply authentication ${what} as key, value pairs`);
  }
}

function endpointUrl(authEndpoint, authParams) {
  let url;
  try {
    url = new URL(authEndpoint);
  } catch {
    url = new URL(authEndpoint, window.origin);
  }
  for (const [key, value] of Object.entries(authParams || {})) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ValidationError(`Please supply string or number for ${key}, (${value} supplied)`);
    }
    url.searchParams.append(key, value.toString());
  }
  return url;
}

async function fetchToken(relayBox, refresh) {
  const { authEndpoint, authHeaders, authParams, authRequestOptions, clientId } = relayBox;
  checkPairs(authHeaders, 'headers');
  checkPairs(authParams, 'parameters');
  for (const [key, value] of Object.entries(authHeaders || {})) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ValidationError(`Please supply string or number for ${key}, (${value} supplied)`);
    }
  }
  if (!authEndpoint) throw new ValidationError('No authentication endpoint provided');

  const url = endpointUrl(authEndpoint, authParams);
  const init = {
    method: (authRequestOptions && authRequestOptions.method) || 'GET',
    ...(authRequestOptions || {}),
  };
  init.headers = { 'Content-Type': 'application/json', ...(authHeaders || {}) };
  if (clientId) init.headers['X-Client-Id'] = clientId.toString();

  const entry = {
    refresh,
    method: init.method,
    url: url.toString(),
    headers: { ...init.headers },
    credentials: init.credentials || 'same-origin',
    mode: init.mode || 'cors',
    startedAt: Date.now(),
    status: null,
    body: null,
    error: null,
    finishedAt: null,
  };
  log.requests.push(entry);
  try {
    const response = await fetch(url, {
      ...init,
      cache: 'no-store',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    entry.status = response.status;
    const text = await response.text();
    try {
      entry.body = JSON.parse(text);
    } catch {
      entry.body = text;
    }
    if (!response.ok) {
      throw new HTTPRequestError(`${response.status} ${response.statusText}`, response.status);
    }
    if (typeof entry.body !== 'object' || entry.body === null) {
      throw new HTTPRequestError('The auth endpoint did not answer JSON', response.status);
    }
    return entry.body;
  } catch (error) {
    entry.error = `${error.name}: ${error.message}`;
    throw error;
  } finally {
    entry.finishedAt = Date.now();
  }
}

export class RelayBox {
  constructor(opts) {
    if (!opts.apiKey && !opts.authEndpoint && !opts.authFunction) {
      throw new ValidationError('Please provide either "authEndpoint", "apiKey" or "authFunction"');
    }
    this.apiKey = opts.apiKey;
    this.clientId = opts.clientId;
    this.authEndpoint = opts.authEndpoint;
    this.authHeaders =
      typeof opts.authHeaders === 'function' ? opts.authHeaders() : opts.authHeaders;
    this.authParams = typeof opts.authParams === 'function' ? opts.authParams() : opts.authParams;
    this.authRequestOptions = opts.authRequestOptions;
    this.authTokenLifeCycle = opts.authTokenLifeCycle;
    this.connection = new Emitter();
    this.connectionId = null;
    this.token = null;
    this.refreshTimeout = null;
  }

  async connect(forceNewConnection) {
    if (this.token && !forceNewConnection) return;
    if (!this.authEndpoint) {
      throw new ValidationError('The stand-in only implements the authEndpoint flow');
    }
    await this.authenticate(false);
    this.connection.emit('connect');
  }

  async authenticate(refresh) {
    const tokenResponse = await fetchToken(this, refresh);
    this.token = tokenResponse.token;
    if (this.authTokenLifeCycle === 'expiry') {
      this.scheduleRefresh(tokenResponse.expiresIn);
    }
  }

  scheduleRefresh(expiresIn, retryMs) {
    const timeout = retryMs || (expiresIn - REFRESH_BUFFER_SECONDS) * 1000;
    this.refreshTimeout = setTimeout(async () => {
      try {
        await this.authenticate(true);
      } catch (error) {
        const jitter = Math.floor(Math.random() * REFRESH_JITTER_RANGE_MS) + REFRESH_RETRY_MS;
        console.error(`Failed to refresh token...retrying in ${jitter}ms`, error);
        this.scheduleRefresh(0, jitter);
      }
    }, timeout);
  }

  disconnect() {
    if (this.refreshTimeout !== null) {
      clearTimeout(this.refreshTimeout);
      this.refreshTimeout = null;
    }
    this.token = null;
    this.connection.emit('disconnect', 'io client disconnect');
  }
}

// Relaybox's documentation shows both `import { RelayBox }` and `import RelayBox`.
export default RelayBox;
