'use strict';
// Callbacks from the library's threads, network paths against the loopback mock server
// (127.0.0.1 only), many concurrent calls, a worker_thread with its own client, and a
// busy JS thread while the library's threads log and flush (no deadlock).

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { Worker } = require('worker_threads');
const { init } = require('..');
const h = require('./helpers');

const EXAMPLE_FILE = path.join(h.ROOT, 'examples', 'settings.json');
const EXAMPLE = require(EXAMPLE_FILE);
const S4_FILE = path.join(h.FIXTURES, 'settings', 's4_segmentation.json');
const S4 = require(S4_FILE);
const FEATURES = EXAMPLE.features.map((f) => f.key);

let server;
test.before(async () => {
  server = await h.mockServer(EXAMPLE_FILE);
});
test.after(async () => {
  if (server) await server.stop();
});

function live(extra = {}) {
  return Object.assign({ sdkKey: EXAMPLE.sdkKey, accountId: EXAMPLE.accountId, proxyUrl: server.url, retryConfig: { maxRetries: 0 } }, extra);
}

function impressions(reqs) {
  let n = 0;
  for (const r of reqs) {
    const evs = r.body && Array.isArray(r.body.ev) ? r.body.ev : r.body && r.body.d ? [r.body] : [];
    for (const e of evs) if (e.d && e.d.event && e.d.event.name === 'vwo_variationShown') n++;
  }
  return n;
}

test('init fetches settings from the server off the JS thread; logs arrive from library threads', async () => {
  const lines = [];
  const c = await init(live({ logger: { level: 'info', transport: { log: (l, m) => lines.push([l, m]) } } }));
  assert.ok(server.requests().some((r) => r.method === 'GET' && r.path.endsWith('/v2-settings')), 'settings were fetched');
  const f = await c.getFlag('new_checkout', { id: 'alice' });
  assert.strictEqual(f.getReason(), 'EVALUATED');
  assert.ok(lines.some(([l]) => l === 'info'));
  assert.strictEqual(await c.close(), true);
});

test('batching: flushCallback(error, {ev}) runs on the JS thread for batches sent by worker threads', async () => {
  const before = impressions(server.requests());
  const batches = [];
  const c = await init(
    live({
      settings: EXAMPLE,
      batchEventData: { eventsPerRequest: 10, requestTimeInterval: 3600, flushCallback: (err, data) => batches.push([err, data]) },
    }),
  );
  let enabled = 0;
  for (let i = 0; i < 200; i++) {
    const f = await c.getFlag(FEATURES[i % FEATURES.length], { id: `batch-user-${i}` });
    if (f.isEnabled()) enabled++;
  }
  assert.ok(enabled > 0);
  assert.deepStrictEqual(await c.flushEvents(), { status: 'success', events: [] });
  const sent = batches.reduce((n, [, d]) => n + d.ev.length, 0);
  assert.ok(batches.length >= 2, `batches: ${batches.length}`);
  assert.ok(batches.every(([err, d]) => err === null && Array.isArray(d.ev)));
  assert.strictEqual(await c.close(), true);
  assert.strictEqual(impressions(server.requests()) - before, batches.reduce((n, [, d]) => n + d.ev.filter((e) => e.d.event.name === 'vwo_variationShown').length, 0));
  assert.ok(sent >= 1);
});

test('an exception in flushCallback or a log transport on a library thread does not crash', async () => {
  let calls = 0;
  const c = await init(
    live({
      settings: EXAMPLE,
      logger: { level: 'info', transport: { log: () => { calls++; throw new Error('transport boom'); } } },
      batchEventData: { eventsPerRequest: 5, requestTimeInterval: 3600, flushCallback: () => { calls++; throw new Error('flush boom'); } },
    }),
  );
  for (let i = 0; i < 30; i++) await c.getFlag('new_checkout', { id: `thrower-${i}` });
  await c.flushEvents();
  await c.close();
  assert.ok(calls > 0);
});

test('threading disabled: calls run off the JS thread and their callbacks still reach JS', async () => {
  const seen = [];
  const batches = [];
  const c = await init(
    live({
      settings: EXAMPLE,
      threading: { enabled: false },
      integrations: { callback: (p) => seen.push(p.featureKey || p.event_name) },
      batchEventData: { eventsPerRequest: 3, requestTimeInterval: 3600, flushCallback: (e, d) => batches.push(d.ev.length) },
    }),
  );
  assert.throws(() => c.getFlagSync('new_checkout', { id: 'a' }), /getFlagSync/);
  const flags = await Promise.all(Array.from({ length: 60 }, (_, i) => c.getFlag('new_checkout', { id: `nt-${i}` })));
  assert.strictEqual(flags.length, 60);
  assert.strictEqual(seen.filter((k) => k === 'new_checkout').length, 60);
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'nt-1' }), { purchase: true });
  await c.setAttribute('plan', 'pro', { id: 'nt-1' });
  await c.flushEvents();
  assert.ok(batches.length > 0);
  await c.close();
});

test('thousands of concurrent getFlag calls: each result is its own user\'s decision', async () => {
  const offline = await init({ sdkKey: S4.sdkKey, accountId: S4.accountId, settings: S4, offline: true });
  const c = await init({ sdkKey: S4.sdkKey, accountId: S4.accountId, settings: S4, offline: true });
  const keys = S4.features.map((f) => f.key);
  const ctxs = Array.from({ length: 5000 }, (_, i) => ({
    id: `conc-${i}`,
    customVariables: { country: ['US', 'IN', 'DE'][i % 3], plan: i % 2 ? 'pro' : 'free', age: i % 90 },
  }));
  const flags = await Promise.all(ctxs.map((ctx, i) => c.getFlag(keys[i % keys.length], ctx)));
  let enabled = 0;
  for (let i = 0; i < ctxs.length; i++) {
    const want = offline.getFlagSync(keys[i % keys.length], ctxs[i]);
    assert.strictEqual(flags[i].getUUID(), want.getUUID());
    assert.strictEqual(flags[i].isEnabled(), want.isEnabled());
    assert.deepStrictEqual(flags[i].getVariables(), want.getVariables());
    if (want.isEnabled()) enabled++;
  }
  assert.ok(enabled > 0 && enabled < ctxs.length, `enabled ${enabled}`);
  const tracked = await Promise.all(ctxs.slice(0, 2000).map((ctx) => c.trackEvent('no_such_event', ctx)));
  assert.ok(tracked.every((t) => t.no_such_event === false));
  await c.close();
  await offline.close();
});

test('a worker_thread runs its own client with callbacks, against the mock server', async () => {
  const script = `
    const { parentPort, workerData } = require('worker_threads');
    const { init } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    (async () => {
      const seen = [];
      const logs = [];
      let flushed = 0;
      const c = await init({
        sdkKey: workerData.sdkKey, accountId: workerData.accountId, proxyUrl: workerData.url,
        integrations: { callback: (p) => seen.push(p.userId) },
        logger: { level: 'info', transport: { log: (l, m) => logs.push(l) } },
        batchEventData: { eventsPerRequest: 20, requestTimeInterval: 3600, flushCallback: (e, d) => { if (!e) flushed += d.ev.length; } },
      });
      const out = [];
      for (let i = 0; i < 300; i++) {
        const f = await c.getFlag(workerData.features[i % workerData.features.length], { id: 'w-' + i });
        out.push([f.isEnabled(), f.getVariables()]);
      }
      const flush = await c.flushEvents();
      await c.close();
      parentPort.postMessage({ out, seen: seen.length, logs: logs.length, flushed, flush });
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  const w = new Worker(script, { eval: true, workerData: { url: server.url, sdkKey: EXAMPLE.sdkKey, accountId: EXAMPLE.accountId, features: FEATURES } });
  const msg = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await w.terminate();
  assert.strictEqual(msg.error, undefined, msg.error);
  assert.strictEqual(msg.seen, 300);
  assert.ok(msg.logs > 0);
  assert.strictEqual(msg.flush.status, 'success');
  assert.ok(msg.flushed > 0);
  const main = await init({ sdkKey: EXAMPLE.sdkKey, accountId: EXAMPLE.accountId, settings: EXAMPLE, offline: true });
  for (let i = 0; i < 300; i++) {
    const f = main.getFlagSync(FEATURES[i % FEATURES.length], { id: `w-${i}` });
    assert.deepStrictEqual(msg.out[i], [f.isEnabled(), f.getVariables()]);
  }
  await main.close();
});

test('a busy JS thread does not stall the library threads that log and flush meanwhile (no deadlock)', async () => {
  let logged = 0;
  const batches = [];
  const c = await init(
    live({
      settings: EXAMPLE,
      logger: { level: 'debug', transport: { log: () => { logged++; } } },
      batchEventData: { eventsPerRequest: 5, requestTimeInterval: 1, flushCallback: (e, d) => batches.push(d.ev.length) },
    }),
  );
  // 20 000 decisions without yielding: event workers keep sending batches meanwhile; their
  // log and flush callbacks go to the callback thread and reach this one afterwards.
  for (let round = 0; round < 4; round++) {
    const t0 = Date.now();
    for (let i = 0; i < 5000; i++) c.getFlagSync(FEATURES[i % FEATURES.length], { id: `busy-${round}-${i}` });
    assert.ok(Date.now() - t0 < 60000);
    await h.sleep(10);
  }
  const closed = await Promise.race([c.close(), h.timeout(60000)]);
  assert.notStrictEqual(closed, 'timeout', 'close finished');
  assert.ok(logged > 0);
  assert.ok(batches.length > 0);
});

test('gateway: calls that may reach the gateway run off the JS thread; setAlias asks it', async () => {
  const seen = [];
  const c = await init(
    live({
      settings: EXAMPLE,
      gatewayService: { url: server.url },
      integrations: { callback: (p) => seen.push(p.api) },
      logger: { level: 'error', transport: { log: () => {} } },
    }),
  );
  assert.throws(() => c.getFlagSync('new_checkout', { id: 'gw' }), /getFlagSync/);
  const offline = await init({ sdkKey: EXAMPLE.sdkKey, accountId: EXAMPLE.accountId, settings: EXAMPLE, offline: true });
  const flags = await Promise.all(Array.from({ length: 40 }, (_, i) => c.getFlag('new_checkout', { id: `gw-${i}` })));
  flags.forEach((f, i) => assert.strictEqual(f.isEnabled(), offline.getFlagSync('new_checkout', { id: `gw-${i}` }).isEnabled()));
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'gw-1' }), { purchase: true });
  assert.ok(seen.filter((a) => a === 'getFlag').length === 40);
  assert.strictEqual(await c.setAlias({ id: 'gw-1' }, 'gw-alias-1'), false, 'aliasing is not enabled');
  await c.close();
  await offline.close();
  // With aliasing on, setAlias asks the gateway (the mock answers {}: not confirmed).
  const a = await init(live({ settings: EXAMPLE, gatewayService: { url: server.url }, isAliasingEnabled: true, logger: { level: 'error', transport: { log: () => {} } } }));
  const before = server.requests().filter((r) => r.path.includes('alias')).length;
  assert.strictEqual(await a.setAlias('gw-1', 'gw-alias-1'), false);
  assert.ok(server.requests().filter((r) => r.path.includes('alias')).length > before, 'the gateway was asked');
  await a.close();
});

test('shouldWaitForTrackingCalls: getFlag and trackEvent resolve after their events reached the server', async () => {
  const c = await init(live({ settings: EXAMPLE, shouldWaitForTrackingCalls: true }));
  const count = (name) => server.requests().filter((r) => (r.raw_query || '').includes(`en=${name}`) || JSON.stringify(r.body || {}).includes(`"name":"${name}"`)).length;
  for (let i = 0; i < 5; i++) {
    const before = count('vwo_variationShown');
    const f = await c.getFlag('new_checkout', { id: `wait-${i}` });
    assert.ok(f.isEnabled());
    assert.ok(count('vwo_variationShown') > before, 'the impression was sent before getFlag resolved');
  }
  const before = count('purchase');
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'wait-1' }), { purchase: true });
  assert.ok(count('purchase') > before, 'the event was sent before trackEvent resolved');
  await c.close();
});
