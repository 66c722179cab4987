'use strict';
// Every API method and callback of the binding, offline (no network): results, errors,
// exceptions inside callbacks, use after close, the finalizer backstop.

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const vwo = require('..');
const h = require('./helpers');

const { init, getUUID, LogLevelEnum, StorageConnector, Flag, VWOError } = vwo;
const EXAMPLE = require(path.join(h.ROOT, 'examples', 'settings.json'));
const S1 = h.settings('s1_rollout_only');

function base(extra = {}) {
  return Object.assign({ sdkKey: EXAMPLE.sdkKey, accountId: EXAMPLE.accountId, settings: EXAMPLE, offline: true }, extra);
}

/** A logger transport that records `[level, message]`. */
function recorder(level) {
  const lines = [];
  const t = { log: (l, m) => lines.push([l, m]) };
  if (level) t.level = level;
  return { t, lines };
}

test('exports the vwo-fme-node-sdk names', () => {
  assert.strictEqual(typeof init, 'function');
  assert.strictEqual(typeof getUUID, 'function');
  assert.deepStrictEqual({ ...LogLevelEnum }, { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' });
  assert.strictEqual(typeof StorageConnector, 'function');
  assert.throws(() => new StorageConnector().get('f', 'u'), /not implemented/);
  assert.match(vwo.versions().abi, /^1\.\d+$/);
});

test('getUUID matches the official vectors', () => {
  assert.strictEqual(getUUID('user-123', '123456'), 'CC25A368ADA0542699EAD62489811105');
  assert.strictEqual(getUUID('user-123', 123456), 'CC25A368ADA0542699EAD62489811105');
  assert.strictEqual(getUUID('', '123456'), undefined);
  assert.strictEqual(getUUID(undefined, '1'), undefined);
});

test('init rejects unusable options with a VWOError', async () => {
  await assert.rejects(init(), (e) => e instanceof VWOError && e.code === 'VWO_ERR_INIT');
  await assert.rejects(init({ accountId: 1, settings: EXAMPLE }), (e) => e.code === 'VWO_ERR_INIT' && /SDK key/.test(e.message));
  await assert.rejects(init({ sdkKey: 'k', settings: EXAMPLE }), (e) => /Account ID/.test(e.message));
  await assert.rejects(init(base({ logger: { level: 'loud' } })), /unknown logger level "loud"/);
  // Without settings the client is created off the JS thread: the message is still the library's.
  await assert.rejects(init({ sdkKey: 'k', accountId: 1, logger: { level: 'loud' } }), /unknown logger level "loud"/);
  const circular = base();
  circular.self = circular;
  await assert.rejects(init(circular), (e) => e instanceof VWOError && e.code === 'VWO_ERR_INVALID_JSON');
  assert.strictEqual(vwo._internals.liveClients(), 0, 'failed inits leave no callbacks registered');
});

test('getFlag: enabled flag, variables, getVariable defaults, uuid and session id', async () => {
  const c = await init(base());
  const ctx = { id: 'alice', customVariables: { country: 'US' } };
  const f = await c.getFlag('new_checkout', ctx);
  assert.ok(f instanceof Flag);
  assert.strictEqual(f.isEnabled(), true);
  const vars = f.getVariables();
  assert.deepStrictEqual(Object.keys(vars[0]), ['value', 'type', 'key', 'id']);
  assert.strictEqual(f.getVariable('title', 'x'), vars.find((v) => v.key === 'title').value);
  assert.strictEqual(f.getVariable('no_such_variable', 'fallback'), 'fallback');
  assert.strictEqual(f.getVariable('no_such_variable'), undefined);
  assert.deepStrictEqual(f.getVariable('layout'), vars.find((v) => v.key === 'layout').value);
  assert.strictEqual(f.getUUID(), getUUID('alice', EXAMPLE.accountId));
  assert.ok(Math.abs(f.getSessionId() - Date.now() / 1000) < 120);
  assert.strictEqual(f.getReason(), 'EVALUATED');
  f.getVariables()[0].value = 'mutated';
  assert.notStrictEqual(f.getVariables()[0].value, 'mutated', 'getVariables returns copies');
  // sessionId from the context; numeric ids decide like their string form.
  const s = await c.getFlag('new_checkout', { id: 'alice', sessionId: 1700000000 });
  assert.strictEqual(s.getSessionId(), 1700000000);
  const n = await c.getFlag('new_checkout', { id: 12345 });
  const ns = await c.getFlag('new_checkout', { id: '12345' });
  assert.deepStrictEqual([n.isEnabled(), n.getVariables(), n.getUUID()], [ns.isEnabled(), ns.getVariables(), ns.getUUID()]);
  // The synchronous variant gives the same decision.
  const sync = c.getFlagSync('new_checkout', ctx);
  assert.deepStrictEqual([sync.isEnabled(), sync.getVariables()], [f.isEnabled(), f.getVariables()]);
  await c.close();
});

test('getFlag never rejects on evaluation problems: a disabled flag, an error logged', async () => {
  const log = recorder();
  const c = await init(base({ logger: { level: 'error', transport: log.t } }));
  const missing = await c.getFlag('no_such_feature', { id: 'u' });
  assert.strictEqual(missing.isEnabled(), false);
  assert.strictEqual(missing.getReason(), 'FEATURE_NOT_FOUND');
  assert.deepStrictEqual(missing.getVariables(), []);
  for (const bad of [undefined, null, {}, { id: '' }, { userId: 'x' }, 'alice', { id: 'u', customVariables: [1] }]) {
    const f = await c.getFlag('new_checkout', bad);
    assert.strictEqual(f.isEnabled(), false, JSON.stringify(bad));
    assert.deepStrictEqual(f.getVariables(), []);
    assert.strictEqual(f.getVariable('title', 'd'), 'd');
  }
  const circular = { id: 'u' };
  circular.self = circular;
  assert.strictEqual((await c.getFlag('new_checkout', circular)).isEnabled(), false);
  assert.strictEqual((await c.getFlag(42, { id: 'u' })).isEnabled(), false);
  assert.ok(log.lines.some(([l, m]) => l === 'error' && /getFlag|context/.test(m)), JSON.stringify(log.lines));
  await c.close();
});

test('trackEvent resolves {eventName: boolean}', async () => {
  const c = await init(base({ logger: { level: 'error', transport: () => {} } }));
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'alice' }, { revenue: 12.5 }), { purchase: true });
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'alice' }), { purchase: true });
  assert.deepStrictEqual(await c.trackEvent('not_a_metric', { id: 'alice' }), { not_a_metric: false });
  assert.deepStrictEqual(await c.trackEvent('purchase', { name: 'no id' }), { purchase: false });
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'alice' }, [1, 2]), { purchase: false });
  const circular = {};
  circular.me = circular;
  assert.deepStrictEqual(await c.trackEvent('purchase', { id: 'alice' }, circular), { purchase: false });
  await c.close();
});

test('setAttribute: single and map forms; bad input is logged, never thrown', async () => {
  const log = recorder();
  const c = await init(base({ logger: { level: 'error', transport: log.t } }));
  assert.strictEqual(await c.setAttribute('plan', 'pro', { id: 'alice' }), undefined);
  assert.strictEqual(await c.setAttribute('age', 3, { id: 'alice' }), undefined);
  assert.strictEqual(await c.setAttribute('vip', true, { id: 'alice' }), undefined);
  assert.strictEqual(await c.setAttribute({ plan: 'pro', seats: 4, trial: false }, { id: 'alice' }), undefined);
  assert.strictEqual(log.lines.length, 0, JSON.stringify(log.lines));
  await c.setAttribute('plan', '', { id: 'alice' });
  await c.setAttribute('plan', 'pro', {});
  await c.setAttribute(['x'], { id: 'alice' });
  assert.ok(log.lines.filter(([l, m]) => l === 'error' && /setAttribute/.test(m)).length >= 3, JSON.stringify(log.lines));
  await c.close();
});

test('integrations callback gets each decision; an exception in it is reported, not thrown', async () => {
  const seen = [];
  const log = recorder();
  const c = await init(
    base({
      integrations: {
        callback: (p) => {
          seen.push(p);
          if (p.userId === 'thrower') throw new Error('integration boom');
        },
      },
      logger: { level: 'error', transport: log.t },
    }),
  );
  await c.getFlag('new_checkout', { id: 'alice' });
  assert.strictEqual(seen.length, 1);
  assert.strictEqual(seen[0].featureKey, 'new_checkout');
  assert.strictEqual(seen[0].userId, 'alice');
  assert.strictEqual(seen[0].api, 'getFlag');
  await c.trackEvent('purchase', { id: 'alice' });
  assert.deepStrictEqual(seen[1], { eventName: 'purchase', api: 'trackEvent' }, 'the Node SDK payload');
  const f = await c.getFlag('new_checkout', { id: 'thrower' });
  assert.strictEqual(f.isEnabled(), (await c.getFlag('new_checkout', { id: 'thrower' })).isEnabled());
  assert.ok(log.lines.some(([l, m]) => l === 'error' && /integration boom/.test(m)));
  await c.close();
});

test('logger: transports get lower-case levels at their own level; a throwing transport is contained', async () => {
  const all = recorder('debug');
  const errors = recorder('error');
  const thrower = { level: 'info', log: () => { throw new Error('transport boom'); } };
  const c = await init(base({ logger: { level: 'info', transports: [all.t, thrower], transport: errors.t } }));
  await c.getFlag('new_checkout', { id: 'alice' });
  await c.getFlag('no_such_feature', { id: 'alice' });
  assert.ok(all.lines.some(([l]) => l === 'info'));
  assert.ok(all.lines.some(([l]) => l === 'error'));
  assert.ok(all.lines.every(([l]) => ['trace', 'debug', 'info', 'warn', 'error'].includes(l)));
  assert.ok(errors.lines.length > 0 && errors.lines.every(([l]) => l === 'error'), JSON.stringify(errors.lines));
  assert.ok(errors.lines.some(([, m]) => /no_such_feature/.test(m)));
  await c.close();
});

class MemoryConnector extends StorageConnector {
  constructor() {
    super();
    this.data = new Map();
    this.gets = 0;
  }
  get(featureKey, userId) {
    this.gets++;
    return this.data.get(`${featureKey}:${userId}`);
  }
  set(data) {
    this.data.set(`${data.featureKey}:${data.userId}`, data);
  }
}

class AsyncMemoryConnector extends StorageConnector {
  constructor() {
    super();
    this.data = new Map();
  }
  async get(featureKey, userId) {
    await new Promise((r) => setImmediate(r));
    return this.data.get(`${featureKey}:${userId}`);
  }
  async set(data) {
    await new Promise((r) => setTimeout(r, 1));
    this.data.set(`${data.featureKey}:${data.userId}`, data);
  }
}

test('storage: a synchronous connector is read and written; stored decisions are served', async () => {
  const store = new MemoryConnector();
  const c = await init(base({ storage: store }));
  const f = await c.getFlag('new_checkout', { id: 'alice' });
  const rec = store.data.get('new_checkout:alice');
  assert.ok(rec, 'a record was written');
  assert.strictEqual(rec.featureKey, 'new_checkout');
  assert.strictEqual(rec.userId, 'alice');
  // A stored experiment decision wins over evaluation: a forged record is served back.
  const g = await c.getFlag('new_checkout', { id: 'alice' });
  assert.deepStrictEqual(g.getVariables(), f.getVariables());
  assert.ok(store.gets >= 2);
  assert.strictEqual(g.getReason(), rec.experimentVariationId ? 'STORED_EXPERIMENT' : 'EVALUATED');
  await c.close();
});

test('storage: a synchronous connector of a client deciding on the pool (threading disabled) goes through a storage thread', async () => {
  const store = new MemoryConnector();
  const seen = [];
  const c = await init(base({ storage: store, threading: { enabled: false }, integrations: { callback: (p) => seen.push(p.featureKey) } }));
  const plain = await init(base());
  // The same two rounds on the JS thread, for the integrations payloads to expect.
  const seenSync = [];
  const sync = await init(base({ storage: new MemoryConnector(), integrations: { callback: (p) => seenSync.push(p.featureKey) } }));
  // Concurrent decisions on libuv's pool: each user's record written once, then served.
  const ids = Array.from({ length: 20 }, (_, i) => `pool-${i}`);
  const first = await Promise.all(ids.map((id) => c.getFlag('new_checkout', { id })));
  ids.forEach((id, i) => {
    assert.strictEqual(first[i].isEnabled(), plain.getFlagSync('new_checkout', { id }).isEnabled());
    assert.strictEqual(store.data.get(`new_checkout:${id}`).userId, id);
  });
  const again = await Promise.all(ids.map((id) => c.getFlag('new_checkout', { id })));
  ids.forEach((id, i) => {
    const rec = store.data.get(`new_checkout:${id}`);
    assert.deepStrictEqual(again[i].getVariables(), first[i].getVariables());
    assert.strictEqual(again[i].getReason(), rec.experimentVariationId ? 'STORED_EXPERIMENT' : 'EVALUATED');
  });
  assert.ok(store.gets >= 40, `gets: ${store.gets}`);
  for (let round = 0; round < 2; round++) for (const id of ids) sync.getFlagSync('new_checkout', { id });
  assert.ok(seenSync.length >= 20);
  // integrations (through the callback thread) ran before each getFlag resolved.
  assert.deepStrictEqual(seen, seenSync);
  await c.close();
  await plain.close();
  await sync.close();
});

test('storage: the connector class itself (as in the official README) is instantiated', async () => {
  const written = [];
  class ReadmeConnector extends StorageConnector {
    async get() {
      return null;
    }
    async set(data) {
      written.push(data.featureKey);
    }
  }
  const c = await init(base({ storage: ReadmeConnector }));
  await c.getFlag('new_checkout', { id: 'alice' });
  assert.deepStrictEqual(written, ['new_checkout']);
  await c.close();
});

test('storage: an async connector (official style) is awaited; reads see earlier writes', async () => {
  const store = new AsyncMemoryConnector();
  const c = await init(base({ storage: store }));
  assert.throws(() => c.getFlagSync('new_checkout', { id: 'a' }), /async storage/);
  const flags = await Promise.all(Array.from({ length: 50 }, (_, i) => c.getFlag('new_checkout', { id: `user-${i}` })));
  assert.strictEqual(flags.length, 50);
  assert.ok(store.data.size >= 50);
  const sync = await init(base({ storage: new MemoryConnector() }));
  for (let i = 0; i < 50; i++) {
    const s = sync.getFlagSync('new_checkout', { id: `user-${i}` });
    assert.deepStrictEqual([flags[i].isEnabled(), flags[i].getVariables()], [s.isEnabled(), s.getVariables()]);
  }
  const again = await c.getFlag('new_checkout', { id: 'user-1' });
  assert.deepStrictEqual(again.getVariables(), flags[1].getVariables());
  await c.close();
  await sync.close();
});

test('storage: a throwing or rejecting connector does not break decisions', async () => {
  const log = recorder();
  const want = (await (await init(base())).getFlag('new_checkout', { id: 'alice' })).isEnabled();
  const bad = { get: () => { throw new Error('get boom'); }, set: () => { throw new Error('set boom'); } };
  const c = await init(base({ storage: bad, logger: { level: 'error', transport: log.t } }));
  assert.strictEqual((await c.getFlag('new_checkout', { id: 'alice' })).isEnabled(), want);
  assert.ok(log.lines.some(([, m]) => /get boom/.test(m)), JSON.stringify(log.lines));
  assert.ok(log.lines.some(([, m]) => /set boom/.test(m)), JSON.stringify(log.lines));
  await c.close();
  // A plain function returning a Promise cannot be awaited inside the synchronous call.
  const log2 = recorder();
  const promiser = { get: () => Promise.resolve(null), set: () => Promise.resolve() };
  const d = await init(base({ storage: promiser, logger: { level: 'error', transport: log2.t } }));
  assert.strictEqual((await d.getFlag('new_checkout', { id: 'alice' })).isEnabled(), want);
  assert.ok(log2.lines.some(([, m]) => /returned a Promise/.test(m)), JSON.stringify(log2.lines));
  await d.close();
  const log3 = recorder();
  const rejecting = { get: async () => { throw new Error('async get boom'); }, set: async () => { throw new Error('async set boom'); } };
  const e = await init(base({ storage: rejecting, logger: { level: 'error', transport: log3.t } }));
  assert.strictEqual((await e.getFlag('new_checkout', { id: 'alice' })).isEnabled(), want);
  assert.ok(log3.lines.some(([, m]) => /async get boom/.test(m)), JSON.stringify(log3.lines));
  assert.ok(log3.lines.some(([, m]) => /async set boom/.test(m)), JSON.stringify(log3.lines));
  await e.close();
});

test('updateSettings installs valid settings and rejects invalid ones', async () => {
  const c = await init(base({ sdkKey: S1.sdkKey, accountId: S1.accountId, settings: S1, logger: { level: 'error', transport: () => {} } }));
  assert.strictEqual((await c.getFlag('new_checkout', { id: 'alice' })).getReason(), 'FEATURE_NOT_FOUND');
  await c.updateSettings(EXAMPLE);
  assert.strictEqual((await c.getFlag('new_checkout', { id: 'alice' })).getReason(), 'EVALUATED');
  await assert.rejects(c.updateSettings({ version: 'nope' }), (e) => e instanceof VWOError && e.code !== 'VWO_OK');
  assert.strictEqual((await c.getFlag('new_checkout', { id: 'alice' })).getReason(), 'EVALUATED', 'old settings stay');
  await assert.rejects(c.updateSettings(), VWOError, 'offline: no fetch');
  await c.updateSettings(JSON.stringify(S1), false);
  assert.strictEqual((await c.getFlag('new_checkout', { id: 'alice' })).getReason(), 'FEATURE_NOT_FOUND');
  await c.close();
});

test('flushEvents and setAlias resolve as the official SDK', async () => {
  const c = await init(base({ logger: { level: 'error', transport: () => {} } }));
  assert.deepStrictEqual(await c.flushEvents(), { status: 'success', events: [] });
  assert.strictEqual(await c.setAlias({ id: 'alice' }, 'alice'), false, 'same ids');
  assert.strictEqual(await c.setAlias('', 'x'), false);
  assert.strictEqual(await c.setAlias({ id: 'alice' }, 'alias-1'), false, 'aliasing is not enabled');
  await c.close();
});

test('close is idempotent; every method fails with VWO_ERR_CLOSED afterwards', async () => {
  const c = await init(base());
  const p1 = c.close();
  const p2 = c.close();
  assert.strictEqual(p1, p2);
  assert.strictEqual(await p1, true);
  const closed = (e) => e instanceof VWOError && e.code === 'VWO_ERR_CLOSED';
  await assert.rejects(c.getFlag('new_checkout', { id: 'a' }), closed);
  assert.throws(() => c.getFlagSync('new_checkout', { id: 'a' }), closed);
  await assert.rejects(c.trackEvent('purchase', { id: 'a' }), closed);
  await assert.rejects(c.setAttribute('a', 1, { id: 'a' }), closed);
  await assert.rejects(c.flushEvents(), closed);
  await assert.rejects(c.updateSettings(EXAMPLE), closed);
  await assert.rejects(c.setAlias('a', 'b'), closed);
  assert.strictEqual(await c.close(), true);
});

test('clients dropped without close() are freed by the finalizer', { skip: typeof global.gc !== 'function' && 'needs --expose-gc' }, async () => {
  const before = vwo._internals.liveClients();
  await (async () => {
    for (let i = 0; i < 20; i++) {
      const c = await init(base({ integrations: { callback: () => {} } }));
      await c.getFlag('new_checkout', { id: `u${i}` });
    }
  })();
  const gone = await h.waitFor(() => {
    global.gc();
    return vwo._internals.liveClients() <= before;
  }, 15000);
  assert.ok(gone, `live clients: ${vwo._internals.liveClients()} (before: ${before})`);
});

test('the README quick start runs offline on examples/settings.json', () => {
  const { execFileSync } = require('child_process');
  const out = execFileSync(process.execPath, [path.join(__dirname, '..', 'examples', 'quickstart.js')], { encoding: 'utf8' });
  assert.match(out, /alice: new_checkout on/);
  assert.match(out, /tracked: \{ purchase: true \}/);
  assert.match(out, /uuid of alice: [0-9A-F]{32}/);
});

test('callbacks may call back into the same client (re-entrant getFlag, trackEvent)', async () => {
  let c;
  const inner = [];
  c = await init(
    base({
      integrations: {
        callback: (p) => {
          if (p.api === 'getFlag' && p.featureKey === 'new_checkout') {
            inner.push(c.getFlagSync('dark_mode', { id: p.userId }).isEnabled());
            c.trackEvent('purchase', { id: p.userId });
          }
        },
      },
    }),
  );
  const plain = await init(base());
  for (const id of ['alice', 'bob', 'carol']) {
    const f = c.getFlagSync('new_checkout', { id });
    const want = plain.getFlagSync('new_checkout', { id });
    assert.deepStrictEqual([f.isEnabled(), f.getVariables(), f.getUUID()], [want.isEnabled(), want.getVariables(), want.getUUID()]);
  }
  assert.deepStrictEqual(inner, ['alice', 'bob', 'carol'].map((id) => plain.getFlagSync('dark_mode', { id }).isEnabled()));
  await c.close();
  await plain.close();
});
