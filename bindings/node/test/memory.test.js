'use strict';
// Memory stays flat over 1 000 000 getFlag calls (every flag handle and returned string is
// freed): RSS after a warm-up and after the run, both after a full GC.

const test = require('node:test');
const assert = require('node:assert');
const { init } = require('..');
const h = require('./helpers');

const S1 = h.settings('s1_rollout_only');
const CALLS = 1_000_000;
const WARMUP = 100_000;
const BUDGET_MB = 24;

function settle() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage().rss / 1048576;
}

test(`RSS is flat over ${CALLS} getFlag calls`, { skip: typeof global.gc !== 'function' && 'needs --expose-gc', timeout: 600000 }, async () => {
  let integrations = 0;
  const c = await init({
    sdkKey: S1.sdkKey,
    accountId: S1.accountId,
    settings: S1,
    offline: true,
    integrations: { callback: () => { integrations++; } },
  });
  const keys = S1.features.map((f) => f.key);
  const ctx = { id: '', customVariables: { country: 'US', plan: 'pro' } };
  let enabled = 0;
  const run = async (from, to) => {
    for (let i = from; i < to; i++) {
      ctx.id = `mem-user-${i % 50000}`;
      const f = await c.getFlag(keys[i % keys.length], ctx);
      if (f.isEnabled() && f.getVariable('int_var', -1) !== -1) enabled++;
    }
  };
  await run(0, WARMUP);
  const before = settle();
  const t0 = process.hrtime.bigint();
  await run(WARMUP, WARMUP + CALLS);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / CALLS;
  const after = settle();
  await c.close();
  console.log(`memory: ${CALLS} getFlag calls (${us.toFixed(2)} us each): RSS ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB (${(after - before).toFixed(1)} MB)`);
  assert.strictEqual(integrations, WARMUP + CALLS);
  assert.ok(enabled > 0);
  assert.ok(after - before < BUDGET_MB, `RSS grew by ${(after - before).toFixed(1)} MB`);
});
