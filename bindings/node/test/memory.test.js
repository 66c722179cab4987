'use strict';
// Memory stays flat over 1 000 000 getFlag calls (every flag handle and returned string is
// freed): RSS after a warm-up and after the run, both after a full GC.

const test = require('node:test');
const assert = require('node:assert');
const { init } = require('..');
const h = require('./helpers');

const S1 = h.settings('s1_rollout_only');
const CALLS = 1_000_000;
const WARMUP = 300_000;
const CHECK_EVERY = 200_000;
// The allocator's arenas settle during the first few hundred thousand calls (50 000 distinct
// users); after that a leak of even 7 bytes a call would add 4 MB over the last 600 000.
const SETTLED_BUDGET_MB = 4;
const TOTAL_BUDGET_MB = 32;

function settle() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage().rss / 1048576;
}

test(`RSS is flat over ${CALLS} getFlag calls`, { skip: typeof global.gc !== 'function' && 'needs --expose-gc', timeout: 900000 }, async () => {
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
  const rss = [settle()];
  const t0 = process.hrtime.bigint();
  let gcMs = 0;
  for (let done = 0; done < CALLS; done += CHECK_EVERY) {
    await run(WARMUP + done, WARMUP + done + CHECK_EVERY);
    const g = Date.now();
    rss.push(settle());
    gcMs += Date.now() - g;
  }
  const us = (Number(process.hrtime.bigint() - t0) / 1e6 - gcMs) * 1000 / CALLS;
  await c.close();
  const fmt = rss.map((x) => x.toFixed(1)).join(' -> ');
  const settled = rss[rss.length - 1] - rss[2];
  const total = rss[rss.length - 1] - rss[0];
  console.log(`memory: ${CALLS} getFlag calls (${us.toFixed(2)} us each, integrations callback on): RSS MB ${fmt}; last ${CALLS - 2 * CHECK_EVERY} calls ${settled.toFixed(1)} MB`);
  assert.strictEqual(integrations, WARMUP + CALLS);
  assert.ok(enabled > 0);
  assert.ok(settled < SETTLED_BUDGET_MB, `RSS grew by ${settled.toFixed(1)} MB over the last ${CALLS - 2 * CHECK_EVERY} calls (${fmt})`);
  assert.ok(total < TOTAL_BUDGET_MB, `RSS grew by ${total.toFixed(1)} MB (${fmt})`);
});
