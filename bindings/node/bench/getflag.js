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

async function main() {
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
