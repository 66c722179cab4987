'use strict';
// Child process of exit.test.js: creates a client (options from $VWO_EXIT_CHILD), queues
// events and ends WITHOUT awaiting close(), in the way the test asks (`end`). Reports on
// stdout, one JSON object a line, written synchronously (fs.writeSync): every flushCallback
// call, every transport line, and how long the binding's 'exit' listener took.

const fs = require('fs');

const cfg = JSON.parse(process.env.VWO_EXIT_CHILD);
const out = (o) => fs.writeSync(1, `${JSON.stringify(o)}\n`);

// Registered before the binding's listener (which is added when the first client is
// created), so it runs first: the start of the exit work.
let exitStart = 0;
process.on('exit', (code) => {
  exitStart = Date.now();
  out({ type: 'exit', code });
});

const { init } = require('..');

function eventsOf(data) {
  return data.ev.map((e) => ({ name: e.d && e.d.event ? e.d.event.name : null, visId: e.d ? e.d.visId : null }));
}

(async () => {
  const options = Object.assign({}, cfg.options);
  if (cfg.transport) {
    options.logger = {
      level: cfg.transport,
      transport: { log: (level, message) => out({ type: 'log', level, message }) },
    };
  }
  if (cfg.flushCallback) {
    options.batchEventData = Object.assign({}, options.batchEventData, {
      flushCallback: (err, data) => out({ type: 'flush', error: err ? err.message : null, ev: eventsOf(data) }),
    });
  }
  let client = null;
  if (cfg.storageExit) {
    // process.exit() from inside the storage connector, while a decision waits for it on
    // another thread (the async connector's storage worker, or a pool thread of a client with
    // threading disabled).
    const exitNow = () => {
      out({ type: 'storageGet' });
      process.exit(0);
    };
    options.storage = cfg.storageExit === 'async' ? { get: async () => exitNow(), set: async () => {} } : { get: exitNow, set: () => {} };
    options.integrations = { callback: (p) => out({ type: 'integration', api: p.api }) };
  }
  if (cfg.storage === 'async') options.storage = { get: async () => null, set: async () => {} };
  if (cfg.storage === 'sync') options.storage = { get: () => null, set: () => {} };
  client = await init(options);
  if (cfg.storageExit) {
    for (const id of cfg.users) await client.trackEvent('purchase', { id }, { revenue: 1 });
    out({ type: 'queued', users: cfg.users.length });
    process.on('exit', () => out({ type: 'exitDone', ms: Date.now() - exitStart }));
    await client.getFlag('new_checkout', { id: cfg.users[0] });
    out({ type: 'error', message: 'getFlag resolved: the storage connector did not end the process' });
    return;
  }
  if (cfg.offlineToo) {
    // A second client, offline (its callbacks stay on this thread), with its own transport.
    const offline = await init({
      sdkKey: options.sdkKey,
      accountId: options.accountId,
      settings: options.settings,
      offline: true,
      logger: { level: 'info', transport: { log: (level, message) => out({ type: 'log', client: 'offline', level, message }) } },
    });
    await offline.getFlag('new_checkout', { id: 'offline-user' });
  }
  for (const id of cfg.users) {
    if (!cfg.noDecisions) await client.getFlag('new_checkout', { id });
    await client.trackEvent('purchase', { id }, { revenue: 1 });
  }
  out({ type: 'queued', users: cfg.users.length });
  // After the binding's listener: the end of the exit work.
  process.on('exit', () => out({ type: 'exitDone', ms: Date.now() - exitStart }));

  switch (cfg.end) {
    case 'natural': // the event loop runs out
      break;
    case 'close': // the reference: what an explicit close delivers
      out({ type: 'closed', deliveredAll: await client.close() });
      break;
    case 'exit':
      process.exit(0);
      break;
    case 'closeThenExit': // close() started, not awaited
      client.close();
      process.exit(0);
      break;
    case 'throw': // an uncaught exception
      setImmediate(() => {
        throw new Error('uncaught in the child');
      });
      break;
    case 'sigterm': // killed by a signal: no 'exit' event
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => {}, 10000);
      break;
    default:
      throw new Error(`unknown end ${cfg.end}`);
  }
})().catch((e) => {
  out({ type: 'error', message: String((e && e.stack) || e) });
  process.exitCode = 99;
});
