'use strict';
// getFlag median latency: this binding against the official vwo-fme-node-sdk (npm), same
// settings, same feature keys and contexts (the get_flag calls of the shared case files,
// camelCase keys, no sessionId since Node 1.35.0 has none).
//
// Both decide with the settings given at init (no fetch). Events:
//  * official: its impression per decision is built and handed to a network client stub
//    (the documented `network.client` option) that answers 200 at once: nothing leaves the
//    process;
//  * this binding, "offline": events are dropped before they are built;
//  * this binding, "mock server": impressions are built and delivered in batches to the
//    loopback mock server by the library's worker threads.
// Per call: `await client.getFlag(...)` timed with process.hrtime, then flag.isEnabled()
// and one getVariable(); the median over all calls after a warm-up.
//
//   node --expose-gc bench/getflag.js [--quick]
//
// Benchmark matrix mode (make bench, bench/README.md):
//
//   node --expose-gc bench/getflag.js --matrix ../../bench/scenarios.json
//
// runs every scenario of that file (same settings, feature keys cycled, context with camelCase
// keys) through this binding (impressions to the mock server at VWO_MOCK_URL, else one started
// here; `await getFlag` and `getFlagSync`) and through the official SDK (network stub as above),
// logs dropped by a no-op transport, an in-memory storage connector when the scenario says so.
// Timing as the Rust harness (benches/support.rs): batches of calls lasting >= 0.5 ms, the
// median / p10 / p90 of the wall time per call over the batches, for VWO_BENCH_MS (default
// 400) per scenario (official: 3x; VWO_BENCH_OFFICIAL=0 leaves it out). One JSON object per
// scenario and layer on standard output.

const path = require('path');
const { performance } = require('perf_hooks');
const native = require('..');
const h = require('../test/helpers');

let official = null;
try {
  official = require('vwo-fme-node-sdk');
} catch (_) {
  official = null;
}

const QUICK = process.argv.includes('--quick');
const N_OURS = QUICK ? 20000 : 100000;
const DEBUG = process.env.BENCH_DEBUG ? (...a) => console.error(...a) : () => {};
const N_OFFICIAL = QUICK ? 1000 : 4000;

function officialVersion() {
  const fs = require('fs');
  const file = path.join(path.dirname(require.resolve('vwo-fme-node-sdk')), '..', '..', 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function calls(name) {
  const out = [];
  for (const c of h.cases(name).calls) {
    if (c.op !== 'get_flag' || !c.context || typeof c.context !== 'object') continue;
    const ctx = h.camelContext(c.context);
    delete ctx.sessionId;
    out.push([c.feature_key, ctx]);
  }
  return out;
}

function median(xs) {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function pct(xs, p) {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** isEnabled and variables of every call in `list` (one pass, untimed). */
async function decisions(client, list) {
  const out = [];
  for (const [fk, ctx] of list) {
    const f = await client.getFlag(fk, Object.assign({}, ctx));
    out.push(JSON.stringify([f.isEnabled(), f.getVariables().map((v) => [v.key, v.value])]));
  }
  return out;
}

async function timeAsync(client, list, n, warm) {
  for (let i = 0; i < warm; i++) {
    const [fk, ctx] = list[i % list.length];
    await client.getFlag(fk, ctx);
  }
  if (global.gc) global.gc();
  const lat = new Float64Array(n);
  let enabled = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const [fk, ctx] = list[i % list.length];
    const t0 = performance.now();
    const f = await client.getFlag(fk, ctx);
    if (f.isEnabled()) enabled++;
    f.getVariable('int_var', 0);
    lat[i] = (performance.now() - t0) * 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  // Process CPU time per call (all threads): less inflated than wall time on a shared machine.
  return { median: median(lat), p90: pct(lat, 90), enabled, cpu: (cpu.user + cpu.system) / n };
}

function timeSync(client, list, n, warm) {
  for (let i = 0; i < warm; i++) client.getFlagSync(list[i % list.length][0], list[i % list.length][1]);
  if (global.gc) global.gc();
  const lat = new Float64Array(n);
  let enabled = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const [fk, ctx] = list[i % list.length];
    const t0 = performance.now();
    const f = client.getFlagSync(fk, ctx);
    if (f.isEnabled()) enabled++;
    f.getVariable('int_var', 0);
    lat[i] = (performance.now() - t0) * 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  return { median: median(lat), p90: pct(lat, 90), enabled, cpu: (cpu.user + cpu.system) / n };
}

function stubNetwork() {
  const resp = { getData: () => ({}), getStatusCode: () => 200, getError: () => null, getHeaders: () => ({}), getTotalAttempts: () => 0 };
  let posts = 0;
  return {
    client: {
      GET: () => Promise.resolve(resp),
      POST: () => {
        posts++;
        return Promise.resolve(resp);
      },
    },
    posts: () => posts,
  };
}

// ------------------------------------------------------------------------- matrix mode

/** An in-memory storage connector; `asyncMethods`: get/set return promises (the official
 * SDK awaits its connector's results; this binding takes plain values as well). */
function memStorage(asyncMethods) {
  const data = new Map();
  const get = (key, userId) => {
    const v = data.get(`${key}\u0000${userId}`);
    return v === undefined ? null : v;
  };
  const set = (rec) => {
    data.set(`${rec.featureKey}\u0000${rec.userId}`, rec);
  };
  return asyncMethods ? { get: async (k, u) => get(k, u), set: async (r) => set(r) } : { get, set };
}

function pick(sorted, q) {
  return sorted[Math.round((sorted.length - 1) * q)];
}

/** Batches of `call(i)` (async when `isAsync`) lasting >= 0.5 ms, for `budgetMs`. */
async function timeBatches(call, isAsync, budgetMs) {
  const now = process.hrtime.bigint;
  const threadCpu = typeof process.threadCpuUsage === 'function' ? () => process.threadCpuUsage() : null;
  let batch = 1;
  let i = 0;
  for (;;) {
    const t = now();
    for (let j = 0; j < batch; j++) {
      if (isAsync) await call(i++);
      else call(i++);
    }
    if (Number(now() - t) >= 5e5 || batch >= 1 << 20) break;
    batch *= 2;
  }
  if (global.gc) global.gc();
  const wall = [];
  const cpu = [];
  const start = Date.now();
  while (Date.now() - start < budgetMs || wall.length < 15) {
    const c = threadCpu ? threadCpu() : null;
    const t = now();
    for (let j = 0; j < batch; j++) {
      if (isAsync) await call(i++);
      else call(i++);
    }
    wall.push(Number(now() - t) / batch);
    if (c) {
      const d = threadCpu();
      cpu.push(((d.user - c.user + d.system - c.system) * 1000) / batch);
    }
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const out = { median_ns: pick(wall, 0.5), p10_ns: pick(wall, 0.1), p90_ns: pick(wall, 0.9), batches: wall.length, batch };
  if (cpu.length) {
    out.cpu_ns = pick(cpu, 0.5);
    out.cpu_p10_ns = pick(cpu, 0.1);
  }
  return out;
}

function emit(rec) {
  process.stdout.write(JSON.stringify(rec) + '\n');
  const f = (x) => (x === undefined ? '-' : x.toFixed(0));
  const warn = rec.all_delivered === false ? '  NOT ALL EVENTS DELIVERED' : '';
  process.stderr.write(`${rec.layer.padEnd(16)} ${rec.scenario.padEnd(20)} ${f(rec.median_ns).padStart(10)} ns (p10 ${f(rec.p10_ns)}, p90 ${f(rec.p90_ns)}; caller CPU ${f(rec.cpu_ns)})${warn}\n`);
}

async function matrix(file) {
  const fs = require('fs');
  const budget = Number(process.env.VWO_BENCH_MS || 400);
  const scenarios = JSON.parse(fs.readFileSync(file, 'utf8')).scenarios;
  let server = null;
  let url = process.env.VWO_MOCK_URL;
  if (!url) {
    server = await h.mockServer(path.join(h.ROOT, 'examples', 'settings.json'));
    url = server.url;
  }
  const quiet = { level: 'error', transport: { log: () => {} } };
  for (const sc of scenarios) {
    const settings = JSON.parse(fs.readFileSync(path.join(h.ROOT, sc.settings), 'utf8'));
    const ctx = h.camelContext(sc.context);
    const keys = sc.features;
    const m = keys.length;
    const base = { sdkKey: '0123456789abcdef0123456789abcdef', accountId: settings.accountId, settings, logger: quiet };
    const live = Object.assign(
      { proxyUrl: url, maxQueueSize: 10000000, batchEventData: { eventsPerRequest: 500, requestTimeInterval: 60 } },
      base,
    );
    if (sc.storage) live.storage = memStorage(false);
    const client = await native.init(live);
    const decisions = [];
    for (const k of keys) decisions.push((await client.getFlag(k, ctx)).isEnabled());
    const a = await timeBatches((i) => client.getFlag(keys[i % m], ctx), true, budget);
    const s = timeBatches((i) => client.getFlagSync(keys[i % m], ctx), false, budget);
    const sync = await s;
    const flushed = await client.flushEvents(120000);
    await client.close();
    const delivered = flushed.status === 'success';
    emit(Object.assign({ kind: 'latency', layer: 'node', scenario: sc.name, decisions, all_delivered: delivered }, a));
    emit(Object.assign({ kind: 'latency', layer: 'node_sync', scenario: sc.name, decisions, all_delivered: delivered }, sync));
    if (official && process.env.VWO_BENCH_OFFICIAL !== '0') {
      const oopts = Object.assign({ network: stubNetwork() }, base, { sdkKey: settings.sdkKey });
      if (sc.storage) oopts.storage = memStorage(true);
      const oc = await official.init(oopts);
      const od = [];
      for (const k of keys) od.push((await oc.getFlag(k, Object.assign({}, ctx))).isEnabled());
      const o = await timeBatches((i) => oc.getFlag(keys[i % m], ctx), true, 3 * budget);
      emit(Object.assign({ kind: 'latency', layer: 'official_node', scenario: sc.name, decisions: od, sdk_version: officialVersion() }, o));
    }
  }
  if (server) await server.stop();
}

async function main() {
  const mi = process.argv.indexOf('--matrix');
  if (mi >= 0) return matrix(process.argv[mi + 1]);
  const rows = [];
  const os = require('os');
  console.log(`getFlag latency, ${os.cpus().length} CPUs (${os.cpus()[0].model}), load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`);
  console.log(`library ${native.versions().library} (${native.versions().path})${official ? ', official vwo-fme-node-sdk ' + officialVersion() : ''}`);
  for (const name of ['s1_rollout_only', 's4_segmentation']) {
    const settingsFile = path.join(h.FIXTURES, 'settings', `${name}.json`);
    const settings = require(settingsFile);
    const list = calls(name);
    // Both log errors (s4's user-agent segments log one per call without a userAgent) to a
    // transport that drops them, so neither pays for console output.
    const base = { sdkKey: settings.sdkKey, accountId: settings.accountId, settings, logger: { level: 'error', transport: { log: () => {} } } };

    DEBUG('ours offline');
    const ours = await native.init(Object.assign({ offline: true }, base));
    const ourDecisions = await decisions(ours, list);
    const a = await timeAsync(ours, list, N_OURS, 5000);
    const s = timeSync(ours, list, N_OURS, 5000);
    await ours.close();

    DEBUG('mock');
    const server = await h.mockServer(settingsFile);
    const live = await native.init(
      Object.assign({ proxyUrl: server.url, maxQueueSize: 1000000, batchEventData: { eventsPerRequest: 100, requestTimeInterval: 60 } }, base),
    );
    DEBUG('live');
    const l = await timeAsync(live, list, N_OURS, 5000);
    DEBUG('live close');
    await live.close();
    await server.stop();

    let o = null;
    if (official) {
      DEBUG('official');
      const net = stubNetwork();
      const oc = await official.init(Object.assign({ network: net }, base));
      const theirs = await decisions(oc, list);
      o = await timeAsync(oc, list, N_OFFICIAL, 300);
      o.same = theirs.filter((d, i) => d === ourDecisions[i]).length;
      o.posts = net.posts();
    }
    rows.push({ name, calls: list.length, a, s, l, o });
    const f = (x) => `${x.median.toFixed(2)} us (p90 ${x.p90.toFixed(2)}, process CPU ${x.cpu.toFixed(2)} us/call)`;
    console.log(`\n${name} (${list.length} distinct calls, cycled)`);
    console.log(`  vwo-fme-native getFlag (await), offline        ${f(a)}`);
    console.log(`  vwo-fme-native getFlagSync, offline            ${f(s)}`);
    console.log(`  vwo-fme-native getFlag (await), mock server    ${f(l)}`);
    if (o) {
      console.log(`  official vwo-fme-node-sdk getFlag (await)      ${f(o)}  [${o.posts} impressions handed to the stub]`);
      console.log(`  same decisions as the official Node SDK        ${o.same} of ${list.length} calls (isEnabled and variables)`);
      console.log(`  ratio official / native (await, offline)       ${(o.median / a.median).toFixed(1)}x`);
      console.log(`  ratio official / native (await, mock server)   ${(o.median / l.median).toFixed(1)}x`);
    } else {
      console.log('  official vwo-fme-node-sdk: not installed (npm install in bindings/node)');
    }
  }
  const worst = Math.max(...rows.map((r) => r.a.median));
  console.log(`\nworst getFlag median of this binding: ${worst.toFixed(2)} us (target <= 10 us)`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
