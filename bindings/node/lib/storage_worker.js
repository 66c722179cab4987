'use strict';
// The decision thread of a client with an async storage connector (see storage_bridge.js).

const { parentPort, workerData } = require('worker_threads');
const { native, statusName, REASON } = require('./native');

const { koffi, fn, protos } = native();
const ctl = new Int32Array(workerData.sab, 0, 3);
const data = new Uint8Array(workerData.sab, 12);
const dec = new TextDecoder();
const WAIT_MS = 60000;

/** Posts a storage request to the connector's thread and sleeps until it is answered. */
function ask(message) {
  Atomics.store(ctl, 0, 0);
  parentPort.postMessage(message);
  let waited = 0;
  while (Atomics.load(ctl, 0) === 0) {
    if (Atomics.wait(ctl, 0, 0, 1000) === 'timed-out') {
      waited += 1000;
      if (waited >= WAIT_MS) return { kind: 2, text: `storage connector did not answer within ${WAIT_MS} ms` };
    }
  }
  const kind = ctl[1];
  const len = ctl[2];
  return { kind, text: len > 0 ? dec.decode(data.slice(0, len)) : null };
}

const storageGet = koffi.register((ud, key, userId, result) => {
  const r = ask({ type: 'get', key, userId });
  if (r.kind === 0) return 0;
  if (r.kind === 1) return fn.storageResultSetJson(result, r.text, Buffer.byteLength(r.text)) === 0 ? 0 : 1;
  fn.storageResultSetError(result, r.text || 'storage read failed');
  return 1;
}, koffi.pointer(protos.storageGet));

const storageSet = koffi.register((ud, recordJson) => {
  const r = ask({ type: 'set', record: recordJson });
  return r.kind === 2 ? 1 : 0;
}, koffi.pointer(protos.storageSet));

const out = [null];
const outStr = [null];

parentPort.on('message', (m) => {
  if (m.type !== 'flag') return;
  const st = fn.getFlag(m.handle, m.featureKey, m.contextJson, out);
  const error = st === 0 ? '' : fn.lastError();
  const f = out[0];
  out[0] = null;
  const reply = { type: 'flag', id: m.id, status: st, statusName: statusName(st), error };
  if (f) {
    reply.enabled = fn.flagIsEnabled(f) === 1;
    reply.variables = null;
    if (reply.enabled) {
      fn.flagVariablesJson(f, outStr);
      reply.variables = outStr[0];
      outStr[0] = null;
    }
    reply.uuid = fn.flagUuid(f);
    reply.sessionId = fn.flagSessionId(f);
    reply.reason = REASON[fn.flagReason(f)] || 'ERROR';
    fn.flagFree(f);
  } else {
    Object.assign(reply, { enabled: false, variables: null, uuid: null, sessionId: Math.floor(Date.now() / 1000), reason: 'ERROR' });
  }
  parentPort.postMessage(reply);
});

parentPort.postMessage({ type: 'ready', storageGet, storageSet });
