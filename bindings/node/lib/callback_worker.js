'use strict';
// The thread that owns the log and flush callbacks of clients with JS log transports or a
// flushCallback, and the integrations callback of clients whose calls run off the JS thread
// (see callback_relay.js). Its callbacks only copy their arguments into a message to the
// client's thread and return: a library thread that calls them waits for this thread's
// event loop, which never waits for anything else.

const { workerData, parentPort } = require('worker_threads');
const { native } = require('./native');

const { koffi, protos } = native();
const port = workerData.port;

function post(message) {
  try {
    port.postMessage(message);
  } catch (_) {
    // The client's realm is gone: nobody is left to tell. An exception must not escape.
  }
}

const log = koffi.register((ud, level, message) => post([0, Number(ud), level, message]), koffi.pointer(protos.log));
const flush = koffi.register((ud, error, eventsJson) => post([1, Number(ud), error, eventsJson]), koffi.pointer(protos.flush));
const integrations = koffi.register((ud, json) => post([2, Number(ud), json]), koffi.pointer(protos.integrations));

// A listening port keeps this thread's loop, and so the callbacks above, alive until the
// realm that started it ends (the other side unrefs its end and the Worker).
port.on('message', () => {});

parentPort.postMessage({ log, flush, integrations });
