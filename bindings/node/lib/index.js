'use strict';
// vwo-fme-native: the vwo-fme-node-sdk API (init, getUUID, LogLevelEnum, StorageConnector,
// client.getFlag/trackEvent/setAttribute/...) over libvwo_fme's C ABI.
//
// Threads. JavaScript runs on one thread per realm; the library calls back from several:
//  * every ABI call that can wait for a worker or the network (client creation without
//    `settings`, close, flushEvents, updateSettings from VWO, setAlias, and all calls of a
//    client with a gateway or with threading disabled: "off-thread" clients) runs with
//    koffi's `.async` on a libuv pool thread, never synchronously, so that the JS thread
//    never blocks on something the library's threads do;
//  * storage and integrations callbacks of a call made on the JS thread run right there,
//    inside the call (koffi calls them directly);
//  * every callback that another thread may call goes through a thread that never waits for
//    this one: log and flush (the library's event workers and poller call them) and the
//    integrations of off-thread clients go through the callback thread (callback_relay.js),
//    whose messages are delivered here right after each binding call (`drainRelay`) and when
//    the port delivers them; storage goes through a storage thread (storage_bridge.js) when
//    the decisions run off the JS thread. A koffi callback registered here and called from
//    another thread would make that thread wait for this thread's event loop, which no
//    longer runs once the process exits: the 'exit' listener (closeAllAtExit) could not close
//    a client synchronously, and Node would wait forever for the blocked pool threads.
//    (Offline clients deciding on the JS thread start no thread: they keep direct callbacks.)
//  * An exception thrown by user code inside a callback is caught here (an exception that
//    escaped a koffi callback would crash the process) and reported through the logger.

const { native, statusName, REASON } = require('./native');
const { StorageBridge, isAsyncConnector } = require('./storage_bridge');
const { CallbackRelay } = require('./callback_relay');

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
// client id -> state ({handle, ...}) of every client not yet freed; never the client object
// itself, so this does not keep clients alive (the finalizer still frees dropped ones).
const liveStates = new Map();
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
    integrations: reg((ud, json) => deliverIntegrations(host(ud), json), protos.integrations),
    flush: reg((ud, error, eventsJson) => deliverFlush(host(ud), error, eventsJson), protos.flush),
  };
  return trampolines;
}

function deliverIntegrations(h, json) {
  if (!h || !h.integrations) return;
  try {
    h.integrations(nodeIntegrationPayload(JSON.parse(json)));
  } catch (e) {
    h.report('integrations callback threw', e);
  }
}

function deliverFlush(h, error, eventsJson) {
  if (!h || !h.flushCallback) return;
  try {
    h.flushCallback(error === null ? null : new Error(error), { ev: JSON.parse(eventsJson) });
  } catch (e) {
    h.report('flushCallback threw', e);
  }
}

// Callbacks that threads other than this one may call: see the top of this file and
// callback_relay.js.
const relay = new CallbackRelay((m) => {
  const h = records.get(m[1]);
  if (!h) return;
  if (m[0] === 0) h.log(m[2], m[3]);
  else if (m[0] === 1) deliverFlush(h, m[2], m[3]);
  else deliverIntegrations(h, m[2]);
});

/** Runs the relayed callbacks the library has made so far (no-op without any). */
function drainRelay() {
  relay.drain();
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
    this.relayed = false; // some callbacks arrive through the callback thread (drain after calls)
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

/** Whether the client's calls run on libuv's pool (they may do network I/O). */
function runsOffThread(options) {
  return !!(isObject(options.gatewayService) && options.gatewayService.url) ||
    (isObject(options.threading) && options.threading.enabled === false) ||
    waitsForTrackingCalls(options);
}

function waitsForTrackingCalls(options) {
  return options.shouldWaitForTrackingCalls === true || (isObject(options.edgeConfig) && options.edgeConfig.shouldWaitForTrackingCalls === true);
}

/** `f.async(...args)` as a Promise; the callbacks it caused have run when it settles. */
function callAsync(f, ...args) {
  return new Promise((resolve, reject) => {
    f.async(...args, (err, res) => {
      drainRelay();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

/**
 * Starts closing the client on a pool thread, once; resolves to whether every pending event
 * was delivered. `state.closing.flag` (native memory, -1 until vwo_client_close returns)
 * lets the exit listener see the native call finish without the event loop.
 */
function beginClose(state) {
  if (state.closing) return state.closing.promise;
  const { koffi, fn } = native();
  const flag = koffi.alloc('int32_t', 1);
  koffi.encode(flag, 'int32_t', -1);
  const c = { flag, done: false, promise: null };
  state.closing = c;
  c.promise = new Promise((resolve, reject) => {
    try {
      fn.clientCloseRaw.async(state.handle, flag, () => {
        const v = koffi.decode(flag, 'int32_t');
        c.done = true;
        c.flag = null;
        koffi.free(flag);
        drainRelay();
        resolve(v === 1);
      });
    } catch (e) {
      // Not started (koffi's queue of async calls is full): nothing to wait for; may be retried.
      state.closing = null;
      koffi.free(flag);
      reject(e);
    }
  });
  return c.promise;
}

/** Frees a closed client and forgets its callbacks (after delivering the last of them). */
function release(state) {
  if (state.handle === null) return;
  const { fn } = native();
  const handle = state.handle;
  state.handle = null;
  state.freed = true;
  fn.clientFree(handle);
  drainRelay();
  records.delete(state.id);
  liveStates.delete(state.id);
}

// Frees clients that were dropped without close(): closes them off the JS thread.
const finalizer = new FinalizationRegistry((state) => {
  if (state.freed || state.handle === null) return;
  beginClose(state).then(
    () => {
      release(state);
      for (const b of storageThreads(state)) b.terminate();
    },
    () => {}, // left to the exit listener
  );
});

// ---------------------------------------------------------------------------------------
// Process exit. When the process ends with clients still open (no `await client.close()`:
// the loop ran out, process.exit(), an uncaught exception), the 'exit' listener closes each
// one synchronously, so that its pending events are delivered, or reported to its
// flushCallback, within the library's shutdown timeout, instead of dying with its threads.
// Only synchronous work is possible there. vwo_client_close joins the library's threads;
// their callbacks go to the callback thread (which keeps running) and are delivered here
// once every client is closed. Signals that kill the process (SIGTERM,
// SIGINT without a handler, SIGKILL) do not emit 'exit': nothing is flushed then.

let exitHooked = false;
const BRIDGE_EXIT_WAIT_MS = 2000; // a decision without storage takes microseconds
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', closeAllAtExit); // a listener never keeps the event loop alive
}

function closeAllAtExit() {
  for (const state of Array.from(liveStates.values())) {
    try {
      closeAtExit(state);
    } catch (_) {
      // An exit listener must not throw: the other clients still get closed.
    }
  }
  try {
    drainRelay();
  } catch (_) {
    // idem
  }
}

function closeAtExit(state) {
  if (state.handle === null) return;
  const { koffi, fn } = native();
  // An async storage connector cannot be awaited any more: let a decision in progress on the
  // storage worker end without it (its events are then queued before the close).
  const bridgeIdle = storageThreads(state).every((b) => b.quiesce(BRIDGE_EXIT_WAIT_MS));
  // Decisions still running on the pool (released from their storage wait just above) may
  // call back into our threads: let them end before those threads go (bounded).
  const decisionsDone = waitDecisions(state);
  let closed = false;
  if (state.closing) {
    // close() (or the finalizer) was already closing it on a pool thread: wait for that call.
    const c = state.closing;
    const end = Date.now() + state.exitWaitMs;
    while (!c.done && koffi.decode(c.flag, 'int32_t') === -1 && Date.now() < end) Atomics.wait(sleeper, 0, 0, 5);
    closed = c.done || koffi.decode(c.flag, 'int32_t') !== -1;
  } else if (state.exitSafe) {
    fn.clientClose(state.handle, [0]);
    closed = true;
  } else {
    const h = records.get(state.id);
    if (h) {
      h.jsLog(3, 'the process is exiting with an open client whose callbacks cannot run now: its pending events are not sent (await client.close() before exiting)');
    }
    return;
  }
  // Another call still running on a pool thread (or one not waited for) may use the handle:
  // then it is left to the process exit, closed but not freed.
  const running = state.busy - state.decisions.size;
  if (closed && running === 0 && decisionsDone && bridgeIdle) release(state);
}

/** Waits until every getFlag of `state` on the pool has written its flag; false if it timed out. */
function waitDecisions(state) {
  if (state.decisions.size === 0) return true;
  const { koffi } = native();
  const end = Date.now() + state.exitWaitMs;
  for (const cell of state.decisions) {
    while (koffi.decode(cell, 'void *') === null) {
      if (Date.now() >= end) return false;
      Atomics.wait(sleeper, 0, 0, 2);
    }
  }
  return true;
}

const DEFAULT_FLUSH_TIMEOUT_MS = 30000;
// NULL_ARGUMENT, INVALID_UTF8, INVALID_JSON, INVALID_ARGUMENT, TOO_LARGE, BAD_HANDLE, PANIC.
const ARGUMENT_ERRORS = new Set([1, 2, 3, 4, 5, 12, 99]);

class VWOClient {
  constructor(state, host, options) {
    this._state = state; // {handle, id, freed, bridge, busy, closing, ...}: shared with the finalizer and the exit listener
    this._host = host;
    this._closing = false;
    this._inflight = new Set();
    this._offThread = runsOffThread(options);
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

  /** `f.async(...args)` on this client's handle: counted, so that exit never frees a handle in use. */
  _async(f, ...args) {
    const state = this._state;
    state.busy++;
    const done = () => {
      state.busy--;
    };
    const p = callAsync(f, ...args);
    p.then(done, done);
    return p;
  }

  /** Runs the relayed callbacks of the call that just returned. */
  _drain() {
    if (this._host.relayed) drainRelay();
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
    this._drain();
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
      return this._track(this._state.bridge.getFlag(h, fk, ctx).then((r) => {
        this._drain();
        return new Flag(r.enabled, r.variables, r.uuid, r.sessionId, r.reason);
      }));
    }
    // On the pool. The flag goes to native memory that the exit listener can watch: a decision
    // still running when the process exits is waited for (its callbacks need our threads).
    const { koffi, fn } = native();
    const cell = koffi.alloc('void *', 1);
    koffi.encode(cell, 'void *', null);
    const pending = this._state.decisions;
    pending.add(cell);
    return this._track(
      this._async(fn.getFlagRaw, h, fk, ctx, cell).then(
        (st) => {
          const f = koffi.decode(cell, 'void *');
          pending.delete(cell);
          koffi.free(cell);
          return this._flagFrom(f, st, '');
        },
        (e) => {
          pending.delete(cell);
          koffi.free(cell);
          throw e;
        },
      ),
    );
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
    const finish = (st, tracked, message) => {
      if (st !== 0) this._host.jsLog(4, `trackEvent: ${statusName(st)}: ${message}`);
      return { [eventName]: st === 0 && tracked === 1 };
    };
    if (this._offThread) {
      const out = [0];
      return this._track(this._async(fn.trackEvent, h, name, ctx, props, out).then((st) => finish(st, out[0], st === 0 ? '' : fn.lastError())));
    }
    const out = this._outInt;
    const st = fn.trackEventFast(h, name, ctx, props, out);
    const tracked = out[0];
    const message = st === 0 ? '' : fn.lastError();
    this._drain();
    return Promise.resolve(finish(st, tracked, message));
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
    const finish = (st, message) => {
      if (st !== 0) this._host.jsLog(4, `setAttribute: ${statusName(st)}: ${message}`);
    };
    if (this._offThread) return this._track(this._async(f, ...args).then((st) => finish(st, st === 0 ? '' : fn.lastError())));
    const st = f(...args);
    const message = st === 0 ? '' : fn.lastError();
    this._drain();
    finish(st, message);
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
      this._async(fn.flushEvents, h, ms, out).then((st) => {
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
    if (text !== null && !this._offThread) {
      const st = fn.updateSettings(h, text, via);
      const message = st === 0 ? '' : fn.lastError();
      this._drain();
      return st === 0 ? Promise.resolve() : Promise.reject(new VWOError(st, `updateSettings failed: ${message}`));
    }
    // The last error is per thread (that call runs on a pool thread): the status name only.
    return this._track(
      this._async(fn.updateSettings, h, text, via).then((st) => {
        if (st !== 0) throw new VWOError(st, `updateSettings failed: ${statusName(st)}`);
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
      this._async(fn.setAlias, h, u, a, out).then((st) => {
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
    this._closePromise = (async () => {
      if (state.handle === null) return true;
      const delivered = await beginClose(state);
      await Promise.allSettled([...this._inflight]);
      finalizer.unregister(this);
      release(state);
      for (const b of storageThreads(state)) await b.terminate();
      return delivered;
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
  const state = {
    handle: null,
    id,
    freed: false,
    bridge: null, // StorageBridge of an async connector: decides on its thread
    storageThread: null, // StorageBridge for the sync connector of a client deciding on the pool
    busy: 0, // async native calls on the handle not yet completed
    decisions: new Set(), // out cells of getFlag calls on the pool (NULL until the call ends)
    closing: null, // set by beginClose
    exitSafe: true, // no callback of this client waits for the JS thread (see closeAtExit)
    exitWaitMs: exitWaitMs(options),
  };
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
    } else if (runsOffThread(options)) {
      // Decisions on libuv's pool: their storage accesses reach the connector through a
      // storage thread (Atomics, not koffi's queue), which gives up when the process exits,
      // instead of a pool thread that waits forever for this thread (and Node for the pool).
      state.storageThread = new StorageBridge(storage, h);
      const ptrs = await state.storageThread.start();
      storageGet = ptrs.storageGet;
      storageSet = ptrs.storageSet;
    } else {
      h.storage = storage;
      storageGet = t.storageGet;
      storageSet = t.storageSet;
    }
  }
  let log = h.transports.length > 0 ? t.log : 0;
  let flush = h.flushCallback ? t.flush : 0;
  let integrations = h.integrations ? t.integrations : 0;
  // Callbacks that threads other than the JS thread may call go through the callback thread:
  // log and flush (the library's threads; a call off the JS thread), and integrations when
  // the calls run off the JS thread. An offline client making its calls on the JS thread
  // starts no thread (no events, no polling): it keeps the direct callbacks (no hop).
  const offThread = runsOffThread(options) || state.bridge !== null;
  const direct = options.offline === true && !offThread;
  const relayIntegrations = integrations !== 0 && offThread;
  if (((log || flush) && !direct) || relayIntegrations) {
    try {
      const r = await relay.start();
      if (!direct) {
        log = log && r.log;
        flush = flush && r.flush;
      }
      if (relayIntegrations) integrations = r.integrations;
      h.relayed = true;
    } catch (e) {
      // No worker thread: the callbacks run through koffi's queue to this thread, as they
      // did before the relay; everything works but the exit listener cannot close it.
      state.exitSafe = false;
      h.jsLog(3, `callback thread unavailable (${errText(e)}); pending events are lost if the process exits before close()`);
    }
  }
  const cb = {
    struct_size: callbacksSize,
    user_data: id,
    free_user_data: 0,
    storage_get: storageGet,
    storage_set: storageSet,
    log,
    log_level: h.nativeLogLevel(),
    integrations,
    flush,
  };
  records.set(id, h);
  const out = [null];
  let status;
  let message;
  const hasSettings = options.settings !== undefined && options.settings !== null;
  if (hasSettings) {
    status = fn.clientNew(json, cb, out);
    message = status === 0 ? '' : fn.lastError();
    drainRelay();
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
    for (const b of storageThreads(state)) await b.terminate();
    throw new VWOError(status, message || `VWO initialization failed (${statusName(status)})`);
  }
  state.handle = out[0];
  const client = new VWOClient(state, h, options);
  finalizer.register(client, state, client);
  liveStates.set(id, state);
  hookExit();
  return client;
}

function storageThreads(state) {
  const out = [];
  if (state.bridge) out.push(state.bridge);
  if (state.storageThread) out.push(state.storageThread);
  return out;
}

/** How long the exit listener waits for a close already running: the library's bound plus slack. */
function exitWaitMs(options) {
  const ms = (camel, snake, dflt) => {
    const v = options[camel] !== undefined ? options[camel] : options[snake];
    return Number.isInteger(v) && v >= 0 && v <= 600000 ? v : dflt;
  };
  return ms('shutdownTimeoutMs', 'shutdown_timeout_ms', 5000) + ms('requestTimeoutMs', 'request_timeout_ms', 3000) + 2000;
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
  // For tests: how many clients still have callbacks registered in this realm, and how many
  // are not freed yet.
  _internals: { liveClients: () => records.size, openClients: () => liveStates.size },
};
