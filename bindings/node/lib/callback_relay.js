'use strict';
// Log, flush and (for clients deciding off the JS thread) integrations callbacks through a
// thread of their own, so that a library thread never waits for the JS thread.
//
// koffi runs a callback registered on a JS thread by queueing it to that thread's event loop
// when another thread calls it, and the calling thread waits until it has run. The
// library's event workers call `log` and `flush`, and vwo_client_close() joins them; so a
// close made synchronously on the JS thread (at process exit, where nothing asynchronous
// can run any more) would wait forever for a worker that waits for the JS thread. Likewise
// a pool thread inside an integrations callback at exit would wait forever, and Node waits
// for its pool threads before the process ends.
//
// So these callbacks are registered on a worker thread (callback_worker.js) that only
// copies each call into a message on a MessagePort and returns. The client's thread runs the
// user's functions from those messages: when the port delivers them (a macrotask), and
// synchronously (`drain()`, receiveMessageOnPort) right after every binding call that may
// have produced some, so that a call's log lines, integrations payloads and flush outcomes
// are seen before it returns or resolves, in the order they were made. The library threads
// no longer wait for a busy JS thread; at exit the worker still takes their calls while this
// thread is blocked in vwo_client_close, and `drain()` then delivers them.

const path = require('path');
const { Worker, MessageChannel, receiveMessageOnPort } = require('worker_threads');

class CallbackRelay {
  /**
   * `deliver(message)`: runs on this thread; message `[0, id, level, text]` (log),
   * `[1, id, error, eventsJson]` (flush) or `[2, id, propertiesJson]` (integrations).
   */
  constructor(deliver) {
    this.deliver = deliver;
    this.port = null;
    this.worker = null;
    this.ready = null;
  }

  /** Resolves to `{log, flush, integrations}` (addresses for vwo_callbacks); starts the thread once. */
  start() {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const { port1, port2 } = new MessageChannel();
      let w;
      try {
        w = new Worker(path.join(__dirname, 'callback_worker.js'), { workerData: { port: port2 }, transferList: [port2] });
      } catch (e) {
        port1.close();
        reject(e);
        return;
      }
      port1.on('message', (m) => {
        this.deliver(m);
        this.drain();
      });
      port1.unref();
      const fail = (e) => {
        port1.close();
        reject(e instanceof Error ? e : new Error(`vwo-fme-native: callback thread exited (${e})`));
      };
      w.once('error', fail);
      w.once('exit', fail);
      w.once('message', (addrs) => {
        w.off('error', fail);
        w.off('exit', fail);
        // Ref'd until ready (init waits for it); then it must never keep the process alive.
        w.unref();
        // An error after start (none is expected: it runs no user code) must not become an
        // uncaught exception of the application.
        w.on('error', () => {});
        this.port = port1;
        this.worker = w;
        resolve({ log: addrs.log, flush: addrs.flush, integrations: addrs.integrations });
      });
    });
    // A failed start is retried by the next client.
    this.ready.catch(() => {
      this.ready = null;
    });
    return this.ready;
  }

  /** Delivers every message already posted, synchronously, in order. */
  drain() {
    const port = this.port;
    if (port === null) return;
    let r;
    while ((r = receiveMessageOnPort(port)) !== undefined) this.deliver(r.message);
  }
}

module.exports = { CallbackRelay };
