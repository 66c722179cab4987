'use strict';
// Asynchronous storage connectors (the official SDK's `async get()` / `async set()`).
//
// The library reads storage synchronously, inside `vwo_get_flag`, on the thread that called
// it. A Promise cannot be awaited there when that thread is the JS thread: the loop that
// would settle it is the one blocked in the native call. So a client with an async connector
// decides on a worker thread of its own: the worker calls `vwo_get_flag`; its storage
// callbacks post the request to this (the connector's) thread and sleep on Atomics.wait;
// this thread awaits `connector.get()` / `connector.set()` and wakes the worker with the
// answer in a SharedArrayBuffer. The connector always runs on its own thread, reads see
// earlier writes (each set is awaited before the decision goes on), and the JS thread never
// blocks. Cost: two thread hops per storage access, and one decision at a time per client.
//
// A client whose decisions run on libuv's pool (gateway, threading disabled) uses the same
// worker for its storage only, whatever the connector: the pool threads call the worker's
// storage callbacks, which wait with Atomics rather than in koffi's queue to the JS thread;
// so at process exit, when the JS thread answers nothing more, `quiesce()` releases them
// (a pool thread blocked in koffi's queue would be waited for by Node forever).

const path = require('path');
const { Worker } = require('worker_threads');

const DATA_BYTES = 1 << 20; // largest storage record, in UTF-8 bytes
// Control words at the start of the SharedArrayBuffer (Int32), then the data.
const STATE = 0; // 0: a request is waiting for its answer, 1: answered
const KIND = 1; // answer: 0 no record, 1 record JSON, 2 error text
const LENGTH = 2; // answer's UTF-8 length
const EXITING = 3; // 1: the process is exiting, the connector's thread answers nothing more
const IN_CALL = 4; // 1 while the worker is inside a native call on the client
const CONTROL_BYTES = 20;

function isAsyncFunction(f) {
  return typeof f === 'function' && Object.prototype.toString.call(f) === '[object AsyncFunction]';
}

/** Whether a connector's get/set are `async` functions (then they go through the bridge). */
function isAsyncConnector(storage) {
  return isAsyncFunction(storage.get) || isAsyncFunction(storage.set);
}

const enc = new TextEncoder();

class StorageBridge {
  constructor(connector, host) {
    this.connector = connector;
    this.host = host;
    this.sab = new SharedArrayBuffer(CONTROL_BYTES + DATA_BYTES);
    this.ctl = new Int32Array(this.sab, 0, CONTROL_BYTES / 4);
    this.data = new Uint8Array(this.sab, CONTROL_BYTES);
    this.pending = new Map();
    this.nextId = 1;
    this.worker = null;
    this.stopped = false;
  }

  start() {
    return new Promise((resolve, reject) => {
      const w = new Worker(path.join(__dirname, 'storage_worker.js'), { workerData: { sab: this.sab } });
      this.worker = w;
      w.once('error', reject);
      // Ref'd until it is ready (init waits for it), then unref'd: an idle storage worker must
      // not keep the process alive (getFlag refs it while a decision runs). Unref'ing before
      // adding the 'message' listener did not stick (the listener refs the worker again).
      const ready = (ptrs) => {
        w.unref();
        resolve(ptrs);
      };
      w.on('message', (m) => this._onMessage(m, ready));
      w.on('exit', () => {
        for (const { reject: rej } of this.pending.values()) rej(new Error('vwo-fme-native: storage worker exited'));
        this.pending.clear();
      });
    });
  }

  _answer(kind, text) {
    let bytes = 0;
    if (text !== null) {
      const r = enc.encodeInto(text, this.data);
      if (r.read < text.length) {
        kind = 2;
        text = null;
        const msg = enc.encodeInto(`storage record larger than ${DATA_BYTES} bytes`, this.data);
        bytes = msg.written;
      } else {
        bytes = r.written;
      }
    }
    this.ctl[KIND] = kind;
    this.ctl[LENGTH] = bytes;
    Atomics.store(this.ctl, STATE, 1);
    Atomics.notify(this.ctl, STATE);
  }

  async _onMessage(m, ready) {
    switch (m.type) {
      case 'ready':
        ready({ storageGet: m.storageGet, storageSet: m.storageSet });
        return;
      case 'get': {
        // kind 0: no record, 1: record JSON, 2: error text.
        try {
          const v = await this.connector.get(m.key, m.userId);
          if (!v) this._answer(0, null);
          else this._answer(1, typeof v === 'string' ? v : JSON.stringify(v));
        } catch (e) {
          this._answer(2, `storage connector get() failed: ${e && e.message ? e.message : String(e)}`);
        }
        return;
      }
      case 'set': {
        try {
          await this.connector.set(JSON.parse(m.record));
          this._answer(0, null);
        } catch (e) {
          this.host.report('storage connector set() failed', e);
          this._answer(2, `storage connector set() failed: ${e && e.message ? e.message : String(e)}`);
        }
        return;
      }
      case 'flag': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.worker.unref();
        if ([1, 2, 3, 4, 5, 12, 99].includes(m.status)) this.host.jsLog(4, `getFlag: ${m.statusName}: ${m.error}`);
        p.resolve(m);
        return;
      }
      default:
    }
  }

  /** Decides on the worker; resolves to {enabled, variables, uuid, sessionId, reason}. */
  getFlag(handle, featureKey, contextJson) {
    if (this.stopped) return Promise.reject(new Error('vwo-fme-native: the client is closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'flag', id, handle, featureKey, contextJson });
    });
  }

  /**
   * At process exit (nothing asynchronous runs any more): the connector can no longer be
   * awaited, so a storage access waiting for it, and every later one, fails at once ("no
   * record"; the write is logged), and the worker starts no new decision. Waits up to `ms`
   * for a decision in progress to end. Returns whether the worker is out of native calls
   * (then the client may be closed and freed).
   */
  quiesce(ms) {
    Atomics.store(this.ctl, EXITING, 1);
    Atomics.notify(this.ctl, STATE);
    const end = Date.now() + ms;
    while (Atomics.load(this.ctl, IN_CALL) === 1) {
      if (Date.now() >= end) return false;
      Atomics.wait(this.ctl, IN_CALL, 1, 10);
    }
    return true;
  }

  async terminate() {
    if (this.stopped) return;
    this.stopped = true;
    if (this.worker) await this.worker.terminate();
  }
}

module.exports = { StorageBridge, isAsyncConnector };
