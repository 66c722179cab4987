'use strict';
// vwo-fme-native: the vwo-fme-node-sdk API (init, getUUID, LogLevelEnum, StorageConnector,
// client.getFlag/trackEvent/setAttribute/...) over libvwo_fme's C ABI.
//
// Threads. JavaScript runs on one thread per realm; the library calls back from several:
//  * storage, integrations and log callbacks of a call made on the JS thread run right
//    there, inside the call (plain synchronous calls);
//  * log and flush callbacks from the library's event workers and settings poller, and
//    every callback of a call made with koffi's `.async` (a libuv pool thread), are queued
//    by koffi to the JS thread that registered them; the native thread waits until the JS
//    function has run. So the JS thread must never block on something those native threads
//    do: every ABI call that can wait for a worker or the network (client creation without
//    `settings`, close, flushEvents, updateSettings from VWO, setAlias, and all calls of a
//    client with a gateway or with threading disabled) runs with `.async`, never
//    synchronously.
//  * An exception thrown by user code inside a callback is caught here (an exception that
//    escaped a koffi callback would crash the process) and reported through the logger.

const { native, statusName, REASON } = require('./native');
const { StorageBridge, isAsyncConnector } = require('./storage_bridge');

const LogLevelEnum = Object.freeze({
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
});
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

function levelIndex(level, fallback) {
  if (typeof level !== 'string') return fallback;
  const i = LEVELS.indexOf(level.toLowerCase());
  return i < 0 ? fallback : i;
}

/** An error from the native library: `code` is the status name (`'VWO_ERR_CLOSED'`). */
class VWOError extends Error {
  constructor(status, message) {
    super(message || statusName(status));
    this.name = 'VWOError';
    this.status = status;
    this.code = statusName(status);
  }
}

/**
 * The storage connector base class (the official SDK's `StorageConnector`). Subclass it and
 * implement `get(featureKey, userId)` (the stored record, or a falsy value) and `set(data)`.
 * Synchronous methods run inside the native call; `async` methods (as in the official SDK's
 * examples) are awaited through a storage worker thread: see README "Storage".
 */
class StorageConnector {
  // eslint-disable-next-line no-unused-vars
  get(featureKey, userId) {
    throw new Error('StorageConnector.get(featureKey, userId) is not implemented');
  }
  // eslint-disable-next-line no-unused-vars
  set(data) {
    throw new Error('StorageConnector.set(data) is not implemented');
  }
}

/** A flag decision: the official `Flag` plus `getUUID()`, `getSessionId()` and `getReason()`. */
class Flag {
  constructor(enabled, variablesJson, uuid, sessionId, reason) {
    this.enabled = enabled;
    this._variablesJson = variablesJson;
    this._variables = null;
    this._uuid = uuid;
    this._sessionId = sessionId;
    this._reason = reason;
  }
  isEnabled() {
    return this.enabled;
  }
  /** `[{value, type, key, id}, ...]` (a fresh array each call). */
  getVariables() {
    return this._vars().map((v) => ({ value: v.value, type: v.type, key: v.key, id: v.id }));
  }
  getVariable(key, defaultValue) {
    const vars = this._vars();
    for (let i = 0; i < vars.length; i++) {
      if (vars[i].key === key) return vars[i].value !== undefined ? vars[i].value : defaultValue;
    }
    return defaultValue;
  }
  /** The visitor UUID of the decision (undefined when the call failed before deriving it). */
  getUUID() {
    return this._uuid === null ? undefined : this._uuid;
  }
  /** The session id (unix seconds) of the decision. */
  getSessionId() {
    return this._sessionId;
  }
  /** How the decision was reached: 'EVALUATED', 'STORED_EXPERIMENT', ..., 'FEATURE_NOT_FOUND', 'ERROR'. */
  getReason() {
    return this._reason;
  }
  _vars() {
    if (this._variables === null) {
      let parsed = [];
      if (this._variablesJson) {
        try {
          parsed = JSON.parse(this._variablesJson);
        } catch (_) {
          parsed = [];
        }
      }
      this._variables = Array.isArray(parsed) ? parsed : [];
      this._variablesJson = null;
    }
    return this._variables;
  }
}

// ---------------------------------------------------------------------------------------
// Callback trampolines: registered once per realm; `user_data` is a client id.

const records = new Map(); // client id -> Host (the client's JS callbacks)
let nextId = 1;
let trampolines = null;

function host(ud) {
  return records.get(Number(ud));
}

function getTrampolines() {
  if (trampolines) return trampolines;
  const { koffi, fn, protos } = native();
  const reg = (f, proto) => koffi.register(f, koffi.pointer(proto));
  trampolines = {
    storageGet: reg((ud, key, userId, result) => {
      const h = host(ud);
      if (!h || !h.storage) return 0;
      let value;
      try {
        value = h.storage.get(key, userId);
      } catch (e) {
        fn.storageResultSetError(result, `storage connector get() threw: ${errText(e)}`);
        return 1;
      }
      if (value && typeof value.then === 'function') {
        value.then(undefined, () => {}); // not awaited: see README "Storage"
        fn.storageResultSetError(
          result,
          'storage connector get() returned a Promise inside a synchronous call; declare it `async` ' +
            'so that the binding awaits it on its storage thread, or return the record directly',
        );
        return 1;
      }
      if (!value) return 0;
      let text;
      try {
        text = typeof value === 'string' ? value : JSON.stringify(value);
      } catch (e) {
        fn.storageResultSetError(result, `storage record is not JSON-serialisable: ${errText(e)}`);
        return 1;
      }
      return fn.storageResultSetJson(result, text, Buffer.byteLength(text)) === 0 ? 0 : 1;
    }, protos.storageGet),
    storageSet: reg((ud, recordJson) => {
      const h = host(ud);
      if (!h || !h.storage) return 0;
      try {
        const r = h.storage.set(JSON.parse(recordJson));
        if (r && typeof r.then === 'function') r.then(undefined, (e) => h.report('storage connector set() rejected', e));
        return 0;
      } catch (e) {
        h.report('storage connector set() threw', e);
        return 1;
      }
    }, protos.storageSet),
    log: reg((ud, level, message) => {
      const h = host(ud);
      if (h) h.log(level, message);
    }, protos.log),
    integrations: reg((ud, json) => {
      const h = host(ud);
      if (!h || !h.integrations) return;
      try {
        h.integrations(nodeIntegrationPayload(JSON.parse(json)));
      } catch (e) {
        h.report('integrations callback threw', e);
      }
    }, protos.integrations),
    flush: reg((ud, error, eventsJson) => {
      const h = host(ud);
      if (!h || !h.flushCallback) return;
      try {
        h.flushCallback(error === null ? null : new Error(error), { ev: JSON.parse(eventsJson) });
      } catch (e) {
        h.report('flushCallback threw', e);
      }
    }, protos.flush),
  };
  return trampolines;
}

/** The library gives track payloads the Python SDK's `event_name`; the Node SDK says `eventName`. */
function nodeIntegrationPayload(p) {
  if (p && p.api === 'trackEvent' && 'event_name' in p && !('eventName' in p)) {
    const out = { eventName: p.event_name };
    for (const k of Object.keys(p)) if (k !== 'event_name') out[k] = p[k];
    return out;
  }
  return p;
}

function errText(e) {
  return e && e.message ? e.message : String(e);
}

/** A client's JS-side callbacks and logger. */
class Host {
  constructor(options) {
    const logger = isObject(options.logger) ? options.logger : {};
    this.prefix = typeof logger.prefix === 'string' ? logger.prefix : 'VWO-SDK';
    this.level = levelIndex(logger.level, 4);
    const transports = [];
    if (Array.isArray(logger.transports)) transports.push(...logger.transports);
    if (isObject(logger.transport)) transports.push(logger.transport);
    this.transports = transports
      .filter((t) => isObject(t))
      .map((t) => ({ t, level: levelIndex(t.level, this.level) }));
    this.toConsole = this.transports.length === 0 || logger.shouldLogToStandardOutput === true;
    this.storage = null; // set for synchronous connectors
    const integ = isObject(options.integrations) ? options.integrations.callback : undefined;
    this.integrations = typeof integ === 'function' ? integ : null;
    const batch = isObject(options.batchEventData) ? options.batchEventData : {};
    this.flushCallback = typeof batch.flushCallback === 'function' ? batch.flushCallback : null;
  }

  /** Lowest level any JS transport wants (the native log callback's minimum), or -1. */
  nativeLogLevel() {
    if (this.transports.length === 0) return -1;
    let min = 4;
    for (const { level } of this.transports) min = Math.min(min, level);
    if (this.toConsole) min = Math.min(min, this.level);
    return min;
  }

  log(level, message) {
    const name = LEVELS[level] || 'error';
    for (const { t, level: min } of this.transports) {
      if (level < min) continue;
      try {
        if (typeof t.log === 'function') t.log(name, message);
        else if (typeof t[name] === 'function') t[name](message);
      } catch (e) {
        // A failing transport must not take the process down; tell the console.
        consoleLine(4, this.prefix, `log transport threw: ${errText(e)}`);
      }
    }
    if (this.toConsole && this.transports.length > 0 && level >= this.level) {
      consoleLine(level, this.prefix, message);
    }
  }

  /** A message from the binding itself (not the library). */
  jsLog(level, message) {
    if (this.transports.length > 0) this.log(level, message);
    else if (level >= this.level) consoleLine(level, this.prefix, message);
  }

  report(what, e) {
    this.jsLog(4, `${what}: ${errText(e)}`);
  }
}

function consoleLine(level, prefix, message) {
  const line = `[${(LEVELS[level] || 'error').toUpperCase()}]: ${prefix} ${new Date().toISOString()} ${message}`;
  if (level >= 4) console.error(line);
  else if (level === 3) console.warn(line);
  else console.log(line);
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The official SDK's check: an object whose `id` is truthy. */
function validContext(context) {
  return isObject(context) && !!context.id && (typeof context.id === 'string' || typeof context.id === 'number');
}

/** Context JSON: the official camelCase keys pass through; a numeric id becomes a string. */
function contextJson(context) {
  if (!isObject(context)) return null;
  const c = typeof context.id === 'number' ? Object.assign({}, context, { id: String(context.id) }) : context;
  try {
    return JSON.stringify(c);
  } catch (_) {
    return null;
  }
}

/** Options as JSON for the library: callbacks and objects it cannot use are left out. */
function optionsJson(options) {
  const o = Object.assign({}, options);
  for (const k of ['storage', 'integrations', 'network', 'segmentation', 'vwoBuilder', 'edgeConfig']) delete o[k];
  if (isObject(options.logger)) {
    const l = options.logger;
    o.logger = {};
    if (l.level !== undefined) o.logger.level = typeof l.level === 'string' ? l.level.toLowerCase() : l.level;
    if (l.prefix !== undefined) o.logger.prefix = l.prefix;
    if (l.isAnsiColorEnabled !== undefined) o.logger.isAnsiColorEnabled = l.isAnsiColorEnabled;
  }
  if (isObject(options.batchEventData)) {
    o.batchEventData = Object.assign({}, options.batchEventData);
    delete o.batchEventData.flushCallback;
  }
  if (waitsForTrackingCalls(options)) {
    // The official SDK's serverless mode: API promises resolve after their network calls, with
    // retries off. Here: the library sends in the calling thread (a libuv pool thread).
    delete o.shouldWaitForTrackingCalls;
    o.threading = { enabled: false };
    o.retryConfig = Object.assign({}, isObject(options.retryConfig) ? options.retryConfig : {}, { shouldRetry: false });
  }
  return JSON.stringify(o);
}

function waitsForTrackingCalls(options) {
  return options.shouldWaitForTrackingCalls === true || (isObject(options.edgeConfig) && options.edgeConfig.shouldWaitForTrackingCalls === true);
}

function callAsync(f, ...args) {
  return new Promise((resolve, reject) => {
    f.async(...args, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

// Frees clients that were dropped without close(): closes them off the JS thread.
const finalizer = new FinalizationRegistry((state) => {
  if (state.freed || state.handle === null) return;
  const { fn } = native();
  const handle = state.handle;
  state.handle = null;
  fn.clientClose.async(handle, [0], () => {
    fn.clientFree(handle);
    state.freed = true;
    records.delete(state.id);
    if (state.bridge) state.bridge.terminate();
  });
});

const DEFAULT_FLUSH_TIMEOUT_MS = 30000;
// NULL_ARGUMENT, INVALID_UTF8, INVALID_JSON, INVALID_ARGUMENT, TOO_LARGE, BAD_HANDLE, PANIC.
const ARGUMENT_ERRORS = new Set([1, 2, 3, 4, 5, 12, 99]);

class VWOClient {
  constructor(state, host, options) {
    this._state = state; // {handle, id, freed, bridge}: shared with the finalizer
    this._host = host;
    this._closing = false;
    this._inflight = new Set();
    this._offThread = !!(isObject(options.gatewayService) && options.gatewayService.url) ||
      (isObject(options.threading) && options.threading.enabled === false) ||
      waitsForTrackingCalls(options);
    this.options = options;
    this._outPtr = new BigUint64Array(1);
    this._outInt = new Int32Array(1);
  }

  _handle() {
    if (this._closing || this._state.handle === null) {
      throw new VWOError(7, 'the client is closed');
    }
    return this._state.handle;
  }

  _track(promise) {
    this._inflight.add(promise);
    const done = () => this._inflight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /**
   * Reads and frees a flag handle (`message`: the call's error, read right after it). The
   * variables are read only for enabled flags (a disabled decision serves none) and parsed
   * on first use.
   */
  _flagFrom(f, status, message) {
    const { fn } = native();
    if (!f) return new Flag(false, null, null, Math.floor(Date.now() / 1000), 'ERROR');
    const enabled = fn.flagIsEnabled(f) === 1;
    let vars = null;
    if (enabled) {
      const out = this._outPtr;
      if (fn.flagVariablesJsonFast(f, out) === 0) vars = fn.takeString(out[0]);
      out[0] = 0n;
    }
    const uuid = fn.flagUuid(f);
    const sessionId = fn.flagSessionId(f);
    const reason = fn.flagReason(f);
    fn.flagFree(f);
    if (ARGUMENT_ERRORS.has(status)) {
      // Evaluation failures (FAILED, NO_SETTINGS, CLOSED) are logged by the library; argument
      // problems are refused by the C ABI before the client sees them: ours to report.
      this._host.jsLog(4, `getFlag: ${statusName(status)}: ${message || 'invalid argument'}`);
    }
    return new Flag(enabled, vars, uuid, sessionId, REASON[reason] || 'ERROR');
  }

  /** The official SDK's answer to a context without a truthy id: logged, disabled flag. */
  _invalidContext(api) {
    this._host.jsLog(4, `${api}: invalid context: it must be an object with a non-empty id`);
    return new Flag(false, null, null, Math.floor(Date.now() / 1000), 'ERROR');
  }

  /**
   * Synchronous getFlag (an extension: no Promise). Not available for clients that must
   * decide off the JS thread (gateway, threading disabled, async storage connector).
   */
  getFlagSync(featureKey, context) {
    const h = this._handle();
    if (this._offThread || this._state.bridge) {
      throw new VWOError(4, 'getFlagSync is not available for clients with a gateway, threading disabled or an async storage connector');
    }
    const { fn } = native();
    if (!validContext(context)) return this._invalidContext('getFlag');
    const out = this._outPtr;
    const st = fn.getFlagFast(h, typeof featureKey === 'string' ? featureKey : null, contextJson(context), out);
    const message = st === 0 ? '' : fn.lastError();
    const f = out[0];
    out[0] = 0n;
    return this._flagFrom(f === 0n ? null : f, st, message);
  }

  getFlag(featureKey, context) {
    let h;
    try {
      h = this._handle();
      if (!this._offThread && !this._state.bridge) return Promise.resolve(this.getFlagSync(featureKey, context));
    } catch (e) {
      return Promise.reject(e);
    }
    if (!validContext(context)) return Promise.resolve(this._invalidContext('getFlag'));
    const fk = typeof featureKey === 'string' ? featureKey : null;
    const ctx = contextJson(context);
    if (this._state.bridge) {
      return this._track(this._state.bridge.getFlag(h, fk, ctx).then(
        (r) => new Flag(r.enabled, r.variables, r.uuid, r.sessionId, r.reason),
      ));
    }
    const { fn } = native();
    const out = [null];
    return this._track(callAsync(fn.getFlag, h, fk, ctx, out).then((st) => this._flagFrom(out[0], st, '')));
  }

  trackEvent(eventName, context, eventProperties) {
    let h;
    try {
      h = this._handle();
    } catch (e) {
      return Promise.reject(e);
    }
    const { fn } = native();
    const name = typeof eventName === 'string' ? eventName : null;
    let props = null;
    if (eventProperties !== undefined && eventProperties !== null) {
      try {
        props = JSON.stringify(eventProperties);
      } catch (e) {
        this._host.jsLog(4, `trackEvent: eventProperties are not JSON-serialisable: ${errText(e)}`);
        return Promise.resolve({ [eventName]: false });
      }
    }
    if (!validContext(context)) {
      this._invalidContext('trackEvent');
      return Promise.resolve({ [eventName]: false });
    }
    const ctx = contextJson(context);
    const finish = (st, tracked) => {
      if (st !== 0) this._host.jsLog(4, `trackEvent: ${statusName(st)}: ${fn.lastError()}`);
      return { [eventName]: st === 0 && tracked === 1 };
    };
    if (this._offThread) {
      const out = [0];
      return this._track(callAsync(fn.trackEvent, h, name, ctx, props, out).then((st) => finish(st, out[0])));
    }
    const out = this._outInt;
    const st = fn.trackEventFast(h, name, ctx, props, out);
    return Promise.resolve(finish(st, out[0]));
  }

  /** `setAttribute(key, value, context)` or `setAttribute(attributes, context)`. */
  setAttribute(keyOrMap, valueOrContext, context) {
    let h;
    try {
      h = this._handle();
    } catch (e) {
      return Promise.reject(e);
    }
    const { fn } = native();
    let f;
    let args;
    if (!validContext(typeof keyOrMap === 'string' ? context : valueOrContext)) {
      this._invalidContext('setAttribute');
      return Promise.resolve();
    }
    if (typeof keyOrMap === 'string') {
      let value;
      try {
        value = JSON.stringify(valueOrContext);
      } catch (_) {
        value = null;
      }
      f = fn.setAttribute;
      args = [h, keyOrMap, value === undefined ? null : value, contextJson(context)];
    } else {
      let attrs = null;
      if (isObject(keyOrMap)) {
        try {
          attrs = JSON.stringify(keyOrMap);
        } catch (_) {
          attrs = null;
        }
      }
      f = fn.setAttributes;
      args = [h, attrs, contextJson(valueOrContext)];
    }
    const finish = (st) => {
      if (st !== 0) this._host.jsLog(4, `setAttribute: ${statusName(st)}: ${fn.lastError()}`);
    };
    if (this._offThread) return this._track(callAsync(f, ...args).then(finish));
    finish(f(...args));
    return Promise.resolve();
  }

  /**
   * Sends queued events and waits (up to `timeoutMs`, default 30 s) for every pending event.
   * Resolves to `{status: 'success' | 'error', events: []}`.
   */
  flushEvents(timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) {
    let h;
    try {
      h = this._handle();
    } catch (e) {
      return Promise.reject(e);
    }
    const { fn } = native();
    const out = [0];
    const ms = Number.isFinite(timeoutMs) && timeoutMs >= 0 ? Math.min(Math.floor(timeoutMs), 0xffffffff) : DEFAULT_FLUSH_TIMEOUT_MS;
    return this._track(
      callAsync(fn.flushEvents, h, ms, out).then((st) => {
        if (st !== 0) this._host.jsLog(4, `flushEvents: ${statusName(st)}`);
        return { status: st === 0 && out[0] === 1 ? 'success' : 'error', events: [] };
      }),
    );
  }

  /**
   * Installs `settings` (validated first), or fetches fresh settings from VWO when none are
   * given (`isViaWebhook`: the webhook endpoint). Rejects with a VWOError when the settings
   * are invalid or cannot be fetched (the current settings stay).
   */
  updateSettings(settings, isViaWebhook = true) {
    let h;
    try {
      h = this._handle();
    } catch (e) {
      return Promise.reject(e);
    }
    const { fn } = native();
    let text = null;
    if (settings !== undefined && settings !== null) {
      try {
        text = typeof settings === 'string' ? settings : JSON.stringify(settings);
      } catch (e) {
        return Promise.reject(new VWOError(3, `settings are not JSON-serialisable: ${errText(e)}`));
      }
    }
    const via = isViaWebhook === false ? 0 : 1;
    const finish = (st) => {
      if (st !== 0) throw new VWOError(st, `updateSettings failed: ${fn.lastError()}`);
    };
    if (text !== null && !this._offThread) {
      try {
        finish(fn.updateSettings(h, text, via));
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // The last error is per thread: read it on the thread that made the call.
    return this._track(
      new Promise((resolve, reject) => {
        fn.updateSettings.async(h, text, via, (err, st) => {
          if (err) return reject(err);
          if (st === 0) return resolve();
          reject(new VWOError(st, `updateSettings failed: ${statusName(st)}`));
        });
      }),
    );
  }

  /** Links `aliasId` to the user (a context or a user id) on the gateway; resolves to a boolean. */
  setAlias(contextOrUserId, aliasId) {
    let h;
    try {
      h = this._handle();
    } catch (e) {
      return Promise.reject(e);
    }
    const { fn } = native();
    const userId = typeof contextOrUserId === 'string' ? contextOrUserId : isObject(contextOrUserId) ? contextOrUserId.id : undefined;
    if (typeof userId !== 'string' && typeof userId !== 'number') return Promise.resolve(false);
    if (typeof aliasId !== 'string' && typeof aliasId !== 'number') return Promise.resolve(false);
    const u = String(userId).trim();
    const a = String(aliasId).trim();
    if (!u || !a || u === a) return Promise.resolve(false);
    const out = [0];
    return this._track(
      callAsync(fn.setAlias, h, u, a, out).then((st) => {
        if (st !== 0) this._host.jsLog(4, `setAlias: ${statusName(st)}`);
        return st === 0 && out[0] === 1;
      }),
    );
  }

  /**
   * Closes the client: stops polling, delivers pending events (within the library's
   * shutdown timeout), joins the library's threads and frees the handle. Resolves to whether
   * every pending event was delivered. Idempotent; every other method rejects afterwards.
   */
  close() {
    if (this._closePromise) return this._closePromise;
    this._closing = true;
    const state = this._state;
    const { fn } = native();
    this._closePromise = (async () => {
      if (state.handle === null) return true;
      const out = [0];
      await callAsync(fn.clientClose, state.handle, out);
      await Promise.allSettled([...this._inflight]);
      const handle = state.handle;
      state.handle = null;
      state.freed = true;
      finalizer.unregister(this);
      fn.clientFree(handle);
      records.delete(state.id);
      if (state.bridge) await state.bridge.terminate();
      return out[0] === 1;
    })();
    return this._closePromise;
  }
}

/**
 * Creates a client. Resolves to the client; rejects with a VWOError when the options are
 * unusable (missing sdkKey/accountId, bad settings, unknown log level, ...).
 */
async function init(options) {
  if (!isObject(options)) throw new VWOError(6, 'options must be an object with sdkKey and accountId');
  const { fn, callbacksSize } = native();
  let json;
  try {
    json = optionsJson(options);
  } catch (e) {
    throw new VWOError(3, `options are not JSON-serialisable: ${errText(e)}`);
  }
  const h = new Host(options);
  const id = nextId++;
  const state = { handle: null, id, freed: false, bridge: null };
  let storage = options.storage;
  // The official README passes the connector class itself (`storage: StorageConnector`);
  // its runtime wants an instance. Accept both.
  if (typeof storage === 'function' && storage.prototype && typeof storage.prototype.get === 'function') {
    storage = new storage(); // eslint-disable-line new-cap
  }
  const useStorage = storage !== undefined && storage !== null && typeof storage.get === 'function';
  let storageGet = 0;
  let storageSet = 0;
  const t = getTrampolines();
  if (useStorage) {
    if (isAsyncConnector(storage)) {
      state.bridge = new StorageBridge(storage, h);
      const ptrs = await state.bridge.start();
      storageGet = ptrs.storageGet;
      storageSet = ptrs.storageSet;
    } else {
      h.storage = storage;
      storageGet = t.storageGet;
      storageSet = t.storageSet;
    }
  }
  const cb = {
    struct_size: callbacksSize,
    user_data: id,
    free_user_data: 0,
    storage_get: storageGet,
    storage_set: storageSet,
    log: h.transports.length > 0 ? t.log : 0,
    log_level: h.nativeLogLevel(),
    integrations: h.integrations ? t.integrations : 0,
    flush: h.flushCallback ? t.flush : 0,
  };
  records.set(id, h);
  const out = [null];
  let status;
  let message;
  const hasSettings = options.settings !== undefined && options.settings !== null;
  if (hasSettings) {
    status = fn.clientNew(json, cb, out);
    message = status === 0 ? '' : fn.lastError();
  } else {
    // Fetches the settings: off the JS thread.
    status = await callAsync(fn.clientNew, json, cb, out);
    // vwo_last_error_message() is per thread and that call ran on a pool thread: redo the
    // (network-free) option check here to get the message. Option errors come before any
    // fetch, and offline mode with empty settings starts no thread and sends nothing.
    message = status === 0 ? '' : optionsError(options);
  }
  if (status !== 0) {
    records.delete(id);
    if (state.bridge) await state.bridge.terminate();
    throw new VWOError(status, message || `VWO initialization failed (${statusName(status)})`);
  }
  state.handle = out[0];
  const client = new VWOClient(state, h, options);
  finalizer.register(client, state, client);
  return client;
}

/** The library's message for unusable options (created offline, logs discarded). */
function optionsError(options) {
  const { fn, callbacksSize } = native();
  const t = getTrampolines();
  const json = optionsJson(Object.assign({}, options, { settings: {}, offline: true }));
  const cb = {
    struct_size: callbacksSize, user_data: 0, free_user_data: 0, storage_get: 0, storage_set: 0,
    log: t.log, log_level: 4, integrations: 0, flush: 0,
  };
  const out = [null];
  const st = fn.clientNew(json, cb, out);
  if (st === 0) {
    fn.clientFree(out[0]);
    return '';
  }
  return fn.lastError();
}

/** The VWO visitor UUID of `userId` in `accountId` (undefined for empty input). */
function getUUID(userId, accountId) {
  const { fn } = native();
  if (userId === undefined || userId === null || accountId === undefined || accountId === null) return undefined;
  const out = [null];
  const st = fn.getUuid(String(userId), String(accountId), out);
  return st === 0 ? out[0] : undefined;
}

/** Library and ABI versions. */
function versions() {
  const { fn, file } = native();
  const abi = fn.abiVersion();
  return { library: fn.version(), abi: `${abi >>> 16}.${abi & 0xffff}`, path: file };
}

module.exports = {
  init,
  getUUID,
  LogLevelEnum,
  StorageConnector,
  Flag,
  VWOClient,
  VWOError,
  versions,
  // For tests: how many clients still have callbacks registered in this realm.
  _internals: { liveClients: () => records.size },
};
