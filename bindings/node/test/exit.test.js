'use strict';
// Process exit with clients still open (no `await client.close()`): child Node processes
// (test/exit_child.js) queue batched events and end in different ways; the binding's 'exit'
// listener must close every client synchronously, without hanging, so that the events reach
// the loopback mock server (127.0.0.1) or are reported to flushCallback, within the
// library's shutdown bound.
//
// Bounds. A child that has not exited after CHILD_KILL_MS is killed and the test fails
// (a hang). The exit work itself is measured inside the child (from the first 'exit'
// listener to the last, around the binding's) and held to the library's own bound: the
// `shutdownTimeoutMs` of the run (delivery on loopback takes a few ms; measured 2-7 ms on
// this machine), or for an unreachable server the time the library is documented to take
// (shutdown timeout, or the in-flight request's timeout) plus SLACK_MS for a busy 2-core
// machine. The whole child (Node start-up, koffi, the calls; ~120 ms measured) gets
// CHILD_WALL_MS.

const test = require('node:test');
const assert = require('node:assert');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const vwo = require('..');
const h = require('./helpers');

const EXAMPLE_FILE = path.join(h.ROOT, 'examples', 'settings.json');
const EXAMPLE = require(EXAMPLE_FILE);
const CHILD = path.join(__dirname, 'exit_child.js');
const CHILD_KILL_MS = 60000;
const CHILD_WALL_MS = 30000;
const SLACK_MS = 3000;
const SHUTDOWN_MS = 4000; // reachable server: everything is delivered well within this

let server;
test.before(async () => {
  server = await h.mockServer(EXAMPLE_FILE);
});
test.after(async () => {
  if (server) await server.stop();
});

/** Runs the child; resolves to {code, signal, wallMs, lines (JSON objects), stdout, stderr}. */
function runChild(cfg) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [CHILD], {
      cwd: path.join(__dirname, '..'),
      env: Object.assign({}, process.env, { VWO_EXIT_CHILD: JSON.stringify(cfg) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      p.kill('SIGKILL');
    }, CHILD_KILL_MS);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      // The library prints its own log lines (clients without transports) on stdout too.
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ code, signal, killed, wallMs: Date.now() - t0, lines, stdout, stderr });
    });
  });
}

function live(extra = {}) {
  return Object.assign(
    {
      sdkKey: EXAMPLE.sdkKey,
      accountId: EXAMPLE.accountId,
      settings: EXAMPLE,
      proxyUrl: server.url,
      shutdownTimeoutMs: SHUTDOWN_MS,
      // Nothing is sent before close: one batch of up to 1000 events, every hour.
      batchEventData: { eventsPerRequest: 1000, requestTimeInterval: 3600 },
    },
    extra,
  );
}

function users(prefix) {
  return [0, 1, 2].map((i) => `${prefix}-${i}`);
}

/** `name:who` of every event of the run's requests (who: the user's index, or 'account'). */
function serverEvents(runUsers) {
  const index = new Map(runUsers.map((u, i) => [vwo.getUUID(u, EXAMPLE.accountId), i]));
  const out = [];
  for (const r of server.requests()) {
    const ev = r.body && Array.isArray(r.body.ev) ? r.body.ev : [];
    if (!ev.some((e) => e.d && index.has(e.d.visId))) continue;
    for (const e of ev) out.push(`${e.d.event.name}:${index.has(e.d.visId) ? index.get(e.d.visId) : 'account'}`);
  }
  return out.sort();
}

function flushedEvents(lines, runUsers) {
  const index = new Map(runUsers.map((u, i) => [vwo.getUUID(u, EXAMPLE.accountId), i]));
  return lines
    .filter((l) => l.type === 'flush')
    .flatMap((l) => l.ev.map((e) => `${e.name}:${index.has(e.visId) ? index.get(e.visId) : 'account'}`))
    .sort();
}

function exitMs(r) {
  const done = r.lines.find((l) => l.type === 'exitDone');
  assert.ok(done, `the child's last exit listener ran: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
  return done.ms;
}

function assertExited(r, code) {
  assert.strictEqual(r.killed, false, `the child hung and was killed after ${CHILD_KILL_MS} ms`);
  assert.strictEqual(r.signal, null);
  assert.strictEqual(r.code, code, r.stderr);
  assert.ok(r.wallMs < CHILD_WALL_MS, `child took ${r.wallMs} ms`);
}

// The reference: what an explicit `await client.close()` delivers for the same calls.
let reference = null;
async function referenceEvents() {
  if (reference) return reference;
  const u = users('ref');
  const r = await runChild({ end: 'close', transport: 'debug', flushCallback: true, users: u, options: live() });
  assertExited(r, 0);
  assert.ok(await h.waitFor(() => serverEvents(u).length > 0, 10000));
  reference = serverEvents(u);
  // 3 purchases and the impressions of 3 decisions, plus the SDK-init event.
  assert.strictEqual(reference.filter((e) => e.startsWith('purchase:')).length, 3, JSON.stringify(reference));
  assert.ok(reference.filter((e) => e.startsWith('vwo_variationShown:')).length >= 3, JSON.stringify(reference));
  return reference;
}

/** Ends a child in `end` with a debug transport and a flushCallback; checks what arrived. */
async function deliveredAtExit(end, code) {
  const want = await referenceEvents();
  const u = users(end);
  const r = await runChild({ end, transport: 'debug', flushCallback: true, offlineToo: true, users: u, options: live() });
  assertExited(r, code);
  assert.deepStrictEqual(r.lines.find((l) => l.type === 'exit'), { type: 'exit', code });
  const ms = exitMs(r);
  assert.ok(ms < SHUTDOWN_MS, `exit work took ${ms} ms (shutdown timeout ${SHUTDOWN_MS} ms)`);
  // Exactly the queued events reached the server: same events as with close(), each user's
  // purchase once.
  assert.ok(await h.waitFor(() => serverEvents(u).length >= want.length, 10000), JSON.stringify(serverEvents(u)));
  const got = serverEvents(u);
  assert.deepStrictEqual(got, want);
  assert.deepStrictEqual(got.filter((e) => e.startsWith('purchase:')), ['purchase:0', 'purchase:1', 'purchase:2']);
  // flushCallback ran (at exit, synchronously) for exactly those events, without error.
  const flushes = r.lines.filter((l) => l.type === 'flush');
  assert.ok(flushes.length >= 1 && flushes.every((l) => l.error === null), JSON.stringify(flushes));
  assert.deepStrictEqual(flushedEvents(r.lines, u), want);
  // The transports got the library threads' lines and the close, of both clients.
  const logs = r.lines.filter((l) => l.type === 'log');
  assert.ok(logs.some((l) => !l.client && /VWO client closed \(all events delivered: true/.test(l.message)), JSON.stringify(logs.slice(-5)));
  assert.ok(logs.some((l) => l.client === 'offline' && /VWO client closed/.test(l.message)), 'the offline client was closed too');
  // Callbacks of the exit run after the first exit listener and before the last one.
  const types = r.lines.map((l) => l.type);
  assert.ok(types.indexOf('exit') < types.indexOf('flush') && types.indexOf('flush') < types.indexOf('exitDone'), types.join(','));
  return { r, ms };
}

test('the event loop runs out with an open client: its queued events are delivered at exit', async (t) => {
  const { ms, r } = await deliveredAtExit('natural', 0);
  t.diagnostic(`natural end: exit work ${ms} ms, child ${r.wallMs} ms`);
});

test('process.exit() with an open client: its queued events are delivered', async (t) => {
  const { ms, r } = await deliveredAtExit('exit', 0);
  t.diagnostic(`process.exit(): exit work ${ms} ms, child ${r.wallMs} ms`);
});

test('an uncaught exception with an open client: events delivered, exit code 1 kept', async () => {
  const { r } = await deliveredAtExit('throw', 1);
  assert.match(r.stderr, /uncaught in the child/);
});

test('close() started but not awaited before process.exit(): the exit waits for it', async (t) => {
  const { ms } = await deliveredAtExit('closeThenExit', 0);
  t.diagnostic(`close() then process.exit(): exit work ${ms} ms`);
});

test('a process killed by SIGTERM emits no exit event: its queued events are not sent', async () => {
  const u = users('sigterm');
  const r = await runChild({ end: 'sigterm', transport: 'debug', flushCallback: true, users: u, options: live() });
  assert.strictEqual(r.killed, false);
  assert.strictEqual(r.signal, 'SIGTERM');
  assert.deepStrictEqual(r.lines.filter((l) => l.type !== 'log'), [{ type: 'queued', users: 3 }]);
  // Give a (wrong) late delivery the time to show up.
  await h.sleep(1000);
  assert.deepStrictEqual(serverEvents(u), []);
});

function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('closed port: the exit ends after the shutdown timeout; undelivered events go to flushCallback with the error', async (t) => {
  const port = await closedPort();
  const u = users('refused');
  const shutdown = 1500;
  // Default retries (3, back-off 2 s, 4 s): the shutdown timeout cuts the back-off.
  const r = await runChild({
    end: 'natural',
    transport: 'error',
    flushCallback: true,
    users: u,
    options: live({ proxyUrl: `http://127.0.0.1:${port}`, shutdownTimeoutMs: shutdown }),
  });
  assertExited(r, 0);
  const ms = exitMs(r);
  t.diagnostic(`closed port: exit work ${ms} ms (shutdown timeout ${shutdown} ms)`);
  assert.ok(ms >= shutdown - 100 && ms < shutdown + SLACK_MS, `exit work took ${ms} ms`);
  const flushes = r.lines.filter((l) => l.type === 'flush');
  assert.ok(flushes.length >= 1 && flushes.every((l) => /Connection refused/.test(l.error)), JSON.stringify(flushes));
  const reported = flushedEvents(r.lines, u);
  assert.deepStrictEqual(reported.filter((e) => e.startsWith('purchase:')), ['purchase:0', 'purchase:1', 'purchase:2']);
  assert.deepStrictEqual(reported, await referenceEvents(), 'every queued event is reported');
  const errors = r.lines.filter((l) => l.type === 'log' && l.level === 'error').map((l) => l.message);
  assert.ok(errors.some((m) => new RegExp(`^${reported.length} event\\(s\\) not delivered: .*Connection refused`).test(m)), JSON.stringify(errors));
});

test('a server that never answers: the exit ends when the request in flight times out; events reported', async (t) => {
  const sockets = new Set();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => {}); // read the request, never answer
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const u = users('silent');
    const requestTimeout = 2000;
    const shutdown = 1000;
    // No retries. The library's close waits at least the shutdown timeout; today it also waits
    // for the batch request in flight to time out (requestTimeoutMs: a known library issue,
    // pinned by the Python tests), then reports the events. Both bounds are accepted here.
    const r = await runChild({
      end: 'exit',
      transport: 'error',
      flushCallback: true,
      users: u,
      options: live({
        proxyUrl: `http://127.0.0.1:${silent.address().port}`,
        shutdownTimeoutMs: shutdown,
        requestTimeoutMs: requestTimeout,
        retryConfig: { maxRetries: 0 },
      }),
    });
    assertExited(r, 0);
    const ms = exitMs(r);
    t.diagnostic(`silent server: exit work ${ms} ms (request timeout ${requestTimeout} ms, shutdown timeout ${shutdown} ms)`);
    assert.ok(ms >= shutdown - 100 && ms < Math.max(shutdown, requestTimeout) + SLACK_MS, `exit work took ${ms} ms`);
    const flushes = r.lines.filter((l) => l.type === 'flush');
    assert.ok(flushes.length >= 1 && flushes.every((l) => typeof l.error === 'string' && l.error.length > 0), JSON.stringify(flushes));
    assert.deepStrictEqual(flushedEvents(r.lines, u), await referenceEvents());
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

for (const [kind, extra] of [
  ['async', {}],
  ['sync', { threading: { enabled: false } }],
]) {
  test(`process.exit() while a decision waits for ${kind === 'async' ? 'an async storage connector (storage worker)' : 'a sync connector from a pool thread (threading disabled)'}: no hang, events delivered`, async (t) => {
    const u = users(`storage-${kind}`);
    const r = await runChild({ end: 'storage', storageExit: kind, transport: 'error', flushCallback: true, users: u, options: live(extra) });
    assertExited(r, 0);
    const types = r.lines.map((l) => l.type);
    assert.ok(types.includes('storageGet') && !types.includes('error'), types.join(','));
    const ms = exitMs(r);
    t.diagnostic(`${kind} storage: exit work ${ms} ms`);
    assert.ok(ms < SHUTDOWN_MS, `exit work took ${ms} ms`);
    // The purchases queued before the decision reach the server, each once.
    assert.ok(await h.waitFor(() => serverEvents(u).filter((e) => e.startsWith('purchase:')).length >= 3, 10000), JSON.stringify(serverEvents(u)));
    assert.deepStrictEqual(serverEvents(u).filter((e) => e.startsWith('purchase:')), ['purchase:0', 'purchase:1', 'purchase:2']);
    assert.ok(r.lines.some((l) => l.type === 'flush' && l.error === null && l.ev.some((e) => e.name === 'purchase')), 'flushCallback saw them');
  });
}

for (const [kind, extra] of [
  ['an async storage connector', { storage: 'async' }],
  ['a sync connector of a client deciding on the pool', { storage: 'sync', options: { threading: { enabled: false } } }],
]) {
  test(`${kind}: an idle storage thread does not keep the process alive`, async () => {
    const u = users(`idle-${extra.storage}`);
    const r = await runChild({ end: 'natural', noDecisions: true, storage: extra.storage, transport: 'error', flushCallback: true, users: u, options: live(extra.options) });
    assertExited(r, 0);
    assert.ok(exitMs(r) < SHUTDOWN_MS);
    assert.ok(await h.waitFor(() => serverEvents(u).length >= 3, 10000), JSON.stringify(serverEvents(u)));
    assert.deepStrictEqual(serverEvents(u).filter((e) => e.startsWith('purchase:')), ['purchase:0', 'purchase:1', 'purchase:2']);
  });
}

test('a client without JS callbacks is closed at exit too (the library logs on stdout itself)', async () => {
  const u = users('plain');
  const r = await runChild({ end: 'exit', transport: null, flushCallback: false, users: u, options: live({ logger: { level: 'info' } }) });
  assertExited(r, 0);
  assert.ok(exitMs(r) < SHUTDOWN_MS);
  assert.match(r.stdout, /VWO client closed \(all events delivered: true/);
  assert.ok(await h.waitFor(() => serverEvents(u).length > 0, 10000));
  assert.deepStrictEqual(serverEvents(u), await referenceEvents());
});

test('one exit listener, added by the first client; close() leaves nothing to close at exit', async () => {
  const ours = () => process.listeners('exit').filter((f) => f.name === 'closeAllAtExit').length;
  assert.strictEqual(ours(), 0, 'no client was created in this process yet: no listener');
  const before = process.listenerCount('exit');
  const opts = { sdkKey: EXAMPLE.sdkKey, accountId: EXAMPLE.accountId, settings: EXAMPLE, offline: true };
  const clients = [];
  for (let i = 0; i < 5; i++) clients.push(await vwo.init(opts));
  assert.strictEqual(ours(), 1);
  assert.strictEqual(process.listenerCount('exit'), before + 1);
  assert.strictEqual(vwo._internals.openClients(), 5);
  for (const c of clients) await c.close();
  assert.strictEqual(vwo._internals.openClients(), 0);
  assert.strictEqual(vwo._internals.liveClients(), 0);
});
