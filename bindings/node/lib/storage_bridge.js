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

const path = require('path');
const { Worker } = require('worker_threads');

const DATA_BYTES = 1 << 20; // largest storage record, in UTF-8 bytes

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
    this.sab = new SharedArrayBuffer(12 + DATA_BYTES);
    this.ctl = new Int32Array(this.sab, 0, 3); // [state, kind, length]
    this.data = new Uint8Array(this.sab, 12);
    this.pending = new Map();
    this.nextId = 1;
    this.worker = null;
    this.stopped = false;
  }

  start() {
    return new Promise((resolve, reject) => {
      const w = new Worker(path.join(__dirname, 'storage_worker.js'), { workerData: { sab: this.sab } });
      this.worker = w;
      w.unref();
      w.once('error', reject);
      w.on('message', (m) => this._onMessage(m, resolve));
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
    this.ctl[1] = kind;
    this.ctl[2] = bytes;
    Atomics.store(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
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

  async terminate() {
    if (this.stopped) return;
    this.stopped = true;
    if (this.worker) await this.worker.terminate();
  }
}

module.exports = { StorageBridge, isAsyncConnector };
