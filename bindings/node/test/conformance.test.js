'use strict';
// Oracle conformance through the Node binding: shared case files replayed with the Node
// SDK's API and camelCase keys (offline, pythonCompat: the oracle is the official Python
// SDK 1.65.0). Compared call by call with the official results: the result (isEnabled,
// variables, uuid, session id), every storage read and write, the integrations payload, and
// the final storage. Numbers compare as JS numbers (JS has no 1 vs 1.0). flush_events is
// skipped (decisions.md N3).

const test = require('node:test');
const assert = require('node:assert');
const { init, getUUID } = require('..');
const h = require('./helpers');

/** An in-memory connector that logs reads and writes as the conformance kit does. */
function recordingStorage(asyncMethods) {
  const data = new Map();
  const log = { reads: [], writes: [] };
  const get = (key, userId) => {
    const v = data.get(`${key}\u0000${userId}`);
    log.reads.push({ key, user_id: userId, found: v !== undefined });
    return v === undefined ? null : v;
  };
  const set = (rec) => {
    log.writes.push(rec);
    data.set(`${rec.featureKey}\u0000${rec.userId}`, rec);
  };
  const connector = asyncMethods
    ? { get: async (k, u) => get(k, u), set: async (r) => set(r) }
    : { get, set };
  const take = () => {
    const out = { reads: log.reads, writes: log.writes };
    log.reads = [];
    log.writes = [];
    return out;
  };
  const dump = () =>
    [...data.entries()]
      .map(([k, v]) => {
        const [key, user_id] = k.split('\u0000');
        return { key, user_id, value: v };
      })
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
  return { connector, take, dump };
}

function normSession(v) {
  const now = Date.now() / 1000;
  return typeof v === 'number' && v >= now - 3600 && v <= now + 3600 ? '<TS_S>' : v;
}

async function replay(name, { asyncStorage = false } = {}) {
  const cases = h.cases(name);
  const settingsName = name.split('.')[0];
  const settings = h.settings(settingsName);
  const copt = cases.options || {};
  const useStorage = !!copt.storage;
  const useIntegrations = copt.integrations === undefined ? true : !!copt.integrations;
  const storage = recordingStorage(asyncStorage);
  let decisions = [];
  const options = {
    sdkKey: cases.sdk_key || settings.sdkKey,
    accountId: cases.account_id || settings.accountId,
    settings,
    offline: true,
    pythonCompat: true,
    logger: { level: 'error', transport: { log: () => {} } },
  };
  if (useStorage) options.storage = storage.connector;
  // Track payloads come in the Node SDK's shape ({eventName, api}); the oracle is Python's.
  const pythonShape = (p) => (p.api === 'trackEvent' ? { event_name: p.eventName, api: p.api } : p);
  if (useIntegrations) options.integrations = { callback: (p) => decisions.push(pythonShape(p)) };
  if (copt.batch_event_data) {
    options.batchEventData = {
      eventsPerRequest: copt.batch_event_data.events_per_request,
      requestTimeInterval: copt.batch_event_data.request_time_interval,
    };
  }
  const client = await init(options);
  const accountStr = String(options.accountId);
  const calls = [];
  for (const [i, call] of cases.calls.entries()) {
    decisions = [];
    const ctx = h.camelContext(call.context);
    const rec = { i, op: call.op };
    if (call.op === 'get_flag') {
      const f = await client.getFlag(call.feature_key, ctx);
      rec.result = {
        is_enabled: f.isEnabled(),
        variables: f.getVariables(),
        uuid: f.getUUID() === undefined ? null : f.getUUID(),
        session_id: normSession(f.getSessionId()),
      };
    } else if (call.op === 'track_event') {
      rec.result = await client.trackEvent(call.event_name, ctx, call.event_properties);
    } else if (call.op === 'set_attribute') {
      if (call.attributes) await client.setAttribute(call.attributes, ctx);
      else await client.setAttribute(call.key, call.value, ctx);
      rec.result = null;
    } else if (call.op === 'flush_events') {
      await client.flushEvents(1000);
    } else if (call.op === 'get_uuid') {
      rec.result = getUUID(call.user_id, call.account_id === undefined ? accountStr : call.account_id) || null;
    }
    if (useIntegrations) rec.decision = decisions.length ? decisions[decisions.length - 1] : null;
    if (useStorage) rec.storage = storage.take();
    calls.push(rec);
  }
  await client.close();
  return { calls, final_storage: useStorage ? storage.dump() : undefined };
}

function compare(name, actual) {
  const expected = h.results(name);
  assert.strictEqual(actual.calls.length, expected.calls.length, `${name}: number of calls`);
  const diffs = [];
  expected.calls.forEach((e, i) => {
    const a = actual.calls[i];
    if (e.op === 'flush_events') return;
    h.diff(e.result, a.result, `${name}.calls[${i}].result`, diffs);
    if (e.storage !== undefined) h.diff(e.storage, a.storage, `${name}.calls[${i}].storage`, diffs);
    if (e.decision !== undefined) h.diff(e.decision, a.decision, `${name}.calls[${i}].decision`, diffs);
  });
  if (expected.final_storage !== undefined) h.diff(expected.final_storage, actual.final_storage, `${name}.final_storage`, diffs);
  return { n: expected.calls.length, diffs };
}

let total = 0;
let totalDiffs = 0;
for (const name of h.caseNames()) {
  test(`conformance ${name}: identical to the official SDK`, async () => {
    const { n, diffs } = compare(name, await replay(name));
    total += n;
    totalDiffs += diffs.length;
    assert.deepStrictEqual(diffs.slice(0, 5), [], `${diffs.length} differences`);
  });
}

// The same decisions with an async connector (awaited through the storage worker).
for (const name of ['s1_rollout_only.storage', 's5_meg.storage']) {
  test(`conformance ${name} with an async storage connector`, async () => {
    const { diffs } = compare(name, await replay(name, { asyncStorage: true }));
    assert.deepStrictEqual(diffs.slice(0, 5), [], `${diffs.length} differences`);
  });
}

test('conformance covers at least two case files', () => {
  assert.ok(h.caseNames().length >= 2);
  console.log(`conformance: ${h.caseNames().length} case files, ${total} calls, ${totalDiffs} differences`);
});
