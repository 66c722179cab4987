'use strict';
// The decision thread of a client with an async storage connector (see storage_bridge.js).

const { parentPort, workerData } = require('worker_threads');
const { native, statusName, REASON } = require('./native');

const { koffi, fn, protos } = native();
// The control words of storage_bridge.js.
const STATE = 0;
const KIND = 1;
const LENGTH = 2;
const EXITING = 3;
const IN_CALL = 4;
const ctl = new Int32Array(workerData.sab, 0, 5);
const data = new Uint8Array(workerData.sab, 20);
const dec = new TextDecoder();
const WAIT_MS = 60000;

const EXITING_ANSWER = { kind: 2, text: 'the process is exiting: the storage connector cannot be awaited' };

/** Posts a storage request to the connector's thread and sleeps until it is answered. */
function ask(message) {
  if (Atomics.load(ctl, EXITING) === 1) return EXITING_ANSWER;
  Atomics.store(ctl, STATE, 0);
  parentPort.postMessage(message);
  let waited = 0;
  while (Atomics.load(ctl, STATE) === 0) {
    if (Atomics.load(ctl, EXITING) === 1) return EXITING_ANSWER;
    if (Atomics.wait(ctl, STATE, 0, 200) === 'timed-out') {
      waited += 200;
      if (waited >= WAIT_MS) return { kind: 2, text: `storage connector did not answer within ${WAIT_MS} ms` };
    }
  }
  const kind = ctl[KIND];
  const len = ctl[LENGTH];
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
  // IN_CALL then EXITING here, EXITING then IN_CALL in quiesce(): one of the two sides sees
  // the other's store, so no decision starts on a handle the exiting thread frees.
  Atomics.store(ctl, IN_CALL, 1);
  try {
    if (Atomics.load(ctl, EXITING) === 1) return;
    decide(m);
  } finally {
    Atomics.store(ctl, IN_CALL, 0);
    Atomics.notify(ctl, IN_CALL);
  }
});

function decide(m) {
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
}

parentPort.postMessage({ type: 'ready', storageGet, storageSet });
