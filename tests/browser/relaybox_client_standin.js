/**
 * Stand-in for the official browser client, `@relaybox/client` 3.x, which the example pages
 * load from a public CDN (the URL in `example_projects/common/home.html`'s import map). The
 * browser tests have no internet, so they answer that module request with this file.
 *
 * It exports what 3.x's ES module exports, and nothing else: `RelayBox` as the default export
 * only (since 2.9; 1.x to 2.8 exported it by name only), and by name the helper classes and
 * enums. So `import { RelayBox } from ...` fails here as it fails on the real 3.x, with
 * "does not provide an export named 'RelayBox'". The helpers exist so that a page importing
 * them loads; using one fails loudly, since nothing past connecting is reproduced.
 *
 * It reproduces exactly what 3.x does towards an auth endpoint, because that is the contract
 * the examples must honour:
 *   - `GET` unless `authRequestOptions.method` says otherwise; `authRequestOptions` is spread
 *     into the fetch options (so `credentials` and `mode` are as configured), then
 *     `cache: 'no-store'` and a 10 s timeout are added;
 *   - headers `{'Content-Type': 'application/json', ...authHeaders}`, plus `X-Client-Id`
 *     when the client was given a `clientId`;
 *   - `authParams` appended to the endpoint URL with `URLSearchParams.append`; `authHeaders`
 *     and `authParams` may be objects or functions returning one (called once, at construction);
 *   - a non-2xx answer makes `connect()` reject with `HTTPRequestError: <status> <text>`, and
 *     a fetch that fails outright (CORS refused, no server) with `NetworkError`;
 *   - after each token, a refresh `(expiresIn - 20) * 1000` ms later, and after a failed
 *     refresh a retry in 10000 + random(2000) ms. (3.x, like 2.11 on, schedules it whatever
 *     `authTokenLifeCycle` says: the option is still accepted, and ignored.)
 * The real client then opens a WebSocket to Relaybox's service with the token; there is no
 * such service here, so holding a token counts as connected: `connection` emits 'connect'
 * and `connect()` resolves. Only the `authEndpoint` flow is reproduced (not `apiKey`,
 * `publicKey` or `authAction`). Of rooms, what a page needs to receive messages:
 * `await relayBox.join(roomId)` (refused while not connected, as the real client's
 * acknowledged socket call fails) returns a room whose `subscribe(event, handler)` and
 * `subscribe(handler)` (every event) register handlers, and `unsubscribe` and `leave` drop
 * them. Handlers get what Relaybox relays for a message, `{id, body, sender: {clientId,
 * connectionId, user}, timestamp, event}` (`body` being the published data). Of presence,
 * what the page's "who is here" list needs, with no service behind it: `room.presence`'s
 * `subscribe(handler)` (the handler is called once, with nothing, as the real client does),
 * `join(userData)` (which calls the handlers as Relaybox's join broadcast would), and `get()`
 * and `getCount()`, which see only this page's own joins (the token's clientId, `userData`). Metrics, history and publishing from the browser are not
 * reproduced, and fail loudly.
 *
 * For the tests:
 *   - every auth request and its outcome is recorded in `window.__relayboxStandIn.requests`:
 *     `{refresh, method, url, headers, credentials, mode, startedAt, status, body, error,
 *     finishedAt}` (`status` is null and `error` set when the fetch itself failed, as a
 *     request refused by CORS does);
 *   - a test that needs the page's client to run with other options (POST, a `clientId`,
 *     `authParams`) sets `window.__relayboxStandInOptions` to a function before the page
 *     loads; the stand-in builds its client from what that function returns for the page's
 *     options. The example pages have no such setting: their options come from the server;
 *   - presence joins are listed in `window.__relayboxStandIn.presence` (`{roomId, clientId,
 *     data}`);
 *   - the rooms joined are listed in `window.__relayboxStandIn.rooms`, the subscriptions in
 *     `.subscriptions` (`roomId::event`, `$:subscribe:all` for every event), and
 *     `window.__relayboxStandIn.deliver(roomId, event, message)` hands `message` to the
 *     room's handlers for `event` as Relaybox's service would, returning how many ran.
 */

const REFRESH_BUFFER_SECONDS = 20;
const REFRESH_RETRY_MS = 10000;
const REFRESH_JITTER_RANGE_MS = 2000;
const REQUEST_TIMEOUT_MS = 10000;

const SUBSCRIBE_ALL = '$:subscribe:all';

const log = (window.__relayboxStandIn = window.__relayboxStandIn || { requests: [] });
log.rooms = log.rooms || [];
log.subscriptions = log.subscriptions || [];
log.presence = log.presence || [];
/** `roomId::event` -> the handlers subscribed, across every client on the page. */
const handlers = new Map();
log.deliver = (roomId, event, message) => {
  const called = [
    ...(handlers.get(`${roomId}::${event}`) || []),
    ...(handlers.get(`${roomId}::${SUBSCRIBE_ALL}`) || []),
  ];
  for (const handler of called) handler(message);
  return called.length;
};

class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}

class HTTPRequestError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'HTTPRequestError';
    this.status = status;
  }
}

class NetworkError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'NetworkError';
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
    let response;
    try {
      response = await fetch(url, {
        ...init,
        cache: 'no-store',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      entry.error = `${error.name}: ${error.message}`;
      if (error instanceof TypeError) {
        throw new NetworkError('Network request failed: Unable to connect to the server', 0);
      }
      throw error;
    }
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
      throw new SyntaxError('The auth endpoint did not answer JSON');
    }
    return entry.body;
  } catch (error) {
    entry.error = entry.error || `${error.name}: ${error.message}`;
    throw error;
  } finally {
    entry.finishedAt = Date.now();
  }
}

class RelayBox {
  constructor(pageOptions) {
    const adjust = window.__relayboxStandInOptions;
    const opts = typeof adjust === 'function' ? adjust({ ...pageOptions }) : pageOptions;
    if (!opts.apiKey && !opts.authEndpoint && !opts.authAction && !opts.publicKey) {
      throw new ValidationError(
        'Please provide either "authEndpoint", "apiKey", "authAction" or "publicKey"',
      );
    }
    this.apiKey = opts.apiKey;
    this.publicKey = opts.publicKey;
    this.clientId = opts.clientId;
    this.authEndpoint = opts.authEndpoint;
    this.authAction = opts.authAction;
    this.authHeaders =
      typeof opts.authHeaders === 'function' ? opts.authHeaders() : opts.authHeaders;
    this.authParams = typeof opts.authParams === 'function' ? opts.authParams() : opts.authParams;
    this.authRequestOptions = opts.authRequestOptions;
    this.connection = new Emitter();
    this.connectionId = null;
    this.isConnected = false;
    this.tokenResponse = null;
    this.refreshTimeout = null;
  }

  get authToken() {
    return this.tokenResponse ? this.tokenResponse.token : null;
  }

  async connect(forceNewConnection) {
    if (this.isConnected && !forceNewConnection) return;
    if (this.apiKey || this.authAction || !this.authEndpoint) {
      throw new ValidationError('The stand-in only reproduces the authEndpoint flow');
    }
    if (this.refreshTimeout !== null) clearTimeout(this.refreshTimeout);
    this.isConnected = false;
    await this.authenticate(false);
    this.isConnected = true;
    this.connection.emit('connect');
  }

  async authenticate(refresh) {
    const tokenResponse = await fetchToken(this, refresh);
    this.tokenResponse = tokenResponse;
    this.scheduleRefresh(tokenResponse.expiresIn);
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

  async join(roomId) {
    if (!this.isConnected) {
      throw new Error(`Attempt to join room "${roomId}" when socket is not connected`);
    }
    log.rooms.push(roomId);
    return new Room(roomId, claims(this.authToken).clientId);
  }

  disconnect() {
    if (this.refreshTimeout !== null) {
      clearTimeout(this.refreshTimeout);
      this.refreshTimeout = null;
    }
    this.isConnected = false;
    this.connection.emit('disconnect', 'io client disconnect');
  }
}

/** The claims of a token (a JWT), unchecked: the stand-in only needs its clientId. */
function claims(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(payload));
}

/** A joined room's presence set, as far as this page can see it (see the header comment). */
class RoomPresence {
  constructor(roomId, clientId) {
    this.roomId = roomId;
    this.clientId = clientId;
    this.handlers = [];
  }

  async subscribe(handler) {
    this.handlers.push(handler);
    handler();
  }

  async join(data) {
    const member = { clientId: this.clientId, data, timestamp: new Date().toISOString() };
    log.presence.push({ roomId: this.roomId, ...member });
    for (const handler of this.handlers) handler({ ...member, event: 'join' });
  }

  async get() {
    return log.presence
      .filter((member) => member.roomId === this.roomId)
      .map(({ clientId, data, timestamp }) => ({ clientId, data, timestamp, event: 'join' }));
  }

  async getCount() {
    return (await this.get()).length;
  }
}

/** A joined room: subscriptions and a little presence (see the header comment). */
class Room {
  constructor(roomId, clientId) {
    this.roomId = roomId;
    this.presence = new RoomPresence(roomId, clientId);
    this.metrics = null;
    this.history = null;
    this.events = new Map();
  }

  async subscribe(eventOrHandler, eventHandler) {
    const all = typeof eventOrHandler === 'function';
    const event = all ? SUBSCRIBE_ALL : eventOrHandler;
    const handler = all ? eventOrHandler : eventHandler;
    if (!event) throw new Error('No event or handler provided');
    const key = `${this.roomId}::${event}`;
    if (!handlers.has(key)) handlers.set(key, []);
    handlers.get(key).push(handler);
    if (!this.events.has(event)) this.events.set(event, []);
    this.events.get(event).push(handler);
    log.subscriptions.push(key);
    return this;
  }

  async unsubscribe(event, handler) {
    for (const name of event ? [event] : [...this.events.keys()]) {
      const key = `${this.roomId}::${name}`;
      const dropped = handler ? [handler] : this.events.get(name) || [];
      handlers.set(key, (handlers.get(key) || []).filter((h) => !dropped.includes(h)));
      this.events.set(name, (this.events.get(name) || []).filter((h) => !dropped.includes(h)));
    }
    return this;
  }

  async leave() {
    await this.unsubscribe();
  }

  async publish() {
    throw new Error('The @relaybox/client stand-in does not reproduce publishing from the browser');
  }
}

/** A helper class of the real client: importable, but not reproduced. */
function notReproduced(name) {
  return class {
    constructor() {
      throw new Error(`The @relaybox/client stand-in does not reproduce ${name}`);
    }
  };
}

/** An enum or constant of the real client: importable; reading any member fails loudly. */
function enumNotReproduced(name) {
  return new Proxy(Object.freeze({}), {
    get(target, member) {
      if (typeof member === 'symbol') return undefined;
      throw new Error(`The @relaybox/client stand-in does not reproduce ${name}.${member}`);
    },
  });
}

// The named exports of @relaybox/client 3.0.1's ES module, all of them.
export const Auth = notReproduced('Auth');
export const Metrics = notReproduced('Metrics');
export const Presence = notReproduced('Presence');
export { Room };
export const User = notReproduced('User');
export const AuthEvent = enumNotReproduced('AuthEvent');
export const AuthMfaFactorType = enumNotReproduced('AuthMfaFactorType');
export const AuthProvider = enumNotReproduced('AuthProvider');
export const ClientEvent = enumNotReproduced('ClientEvent');
export const HistoryQueryParam = enumNotReproduced('HistoryQueryParam');
export const HttpMethod = enumNotReproduced('HttpMethod');
export const HttpMode = enumNotReproduced('HttpMode');
export const IntellectActionType = enumNotReproduced('IntellectActionType');
export const MetricsEventAllowedValue = enumNotReproduced('MetricsEventAllowedValue');
export const PresenceEventAllowedValue = enumNotReproduced('PresenceEventAllowedValue');
export const REFRESH_TOKEN_KEY = 'rb:token:refresh';
export const RoomEvent = enumNotReproduced('RoomEvent');
export const RoomMemberType = enumNotReproduced('RoomMemberType');
export const ServerEvent = enumNotReproduced('ServerEvent');
export const SocketIoEvent = enumNotReproduced('SocketIoEvent');
export const SocketTransport = enumNotReproduced('SocketTransport');
export const defaultRoomCreateOptions = Object.freeze({ visibility: 'public' });
export const defaultRoomJoinOptions = Object.freeze({});
// The events and states a page watches on `relayBox.connection`, with their real values.
export const SocketEvent = Object.freeze({
  CONNECTING: 'connecting',
  CONNECT: 'connect',
  DISCONNECT: 'disconnect',
  ERROR: 'error',
  RECONNECT: 'reconnect',
  CONNECT_ERROR: 'connect_error',
  CONNECT_FAILED: 'connect_failed',
  RECONNECTING: 'reconnecting',
  RECONNECTED: 'reconnected',
  RECONNECT_FAILED: 'reconnect_failed',
  AUTH_TOKEN_EXPIRED: 'auth_token_expired',
  REAUTHENTICATING: 'reauthenticating',
});
export const SocketState = Object.freeze({
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  DISCONNECTED: 'disconnected',
});

export default RelayBox;
