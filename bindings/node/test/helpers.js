'use strict';
// Shared test helpers: fixture paths, the loopback mock server, conformance file readers.

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'conformance');
const BIN = process.env.VWO_FME_BIN || path.join(ROOT, 'target', 'release', 'vwo-fme');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function settings(name) {
  return readJson(path.join(FIXTURES, 'settings', `${name}.json`));
}

function cases(name) {
  return readJson(path.join(FIXTURES, 'cases', `${name}.json`));
}

function results(name) {
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, 'results', `${name}.json.gz`))).toString('utf8'));
}

function caseNames() {
  return fs
    .readdirSync(path.join(FIXTURES, 'cases'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

const CAMEL = {
  custom_variables: 'customVariables',
  user_agent: 'userAgent',
  ip_address: 'ipAddress',
  session_id: 'sessionId',
  variation_targeting_variables: 'variationTargetingVariables',
  post_segmentation_variables: 'postSegmentationVariables',
};

/** A cases-file context (Python SDK keys) as a Node SDK user writes it (camelCase keys). */
function camelContext(ctx) {
  if (ctx === null || typeof ctx !== 'object') return ctx;
  const out = {};
  for (const [k, v] of Object.entries(ctx)) out[CAMEL[k] || k] = v;
  return out;
}

/**
 * Starts `vwo-fme mock-server` on a free loopback port; resolves to {url, stop, requests},
 * `requests()` being every request it received so far ({method, path, query, body}).
 */
function mockServer(settingsFile) {
  const logFile = path.join(require('os').tmpdir(), `vwo-node-mock-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  const requests = () => {
    if (!fs.existsSync(logFile)) return [];
    return fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  };
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['mock-server', '--settings', settingsFile, '--port', '0', '--log', logFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    // The server must not outlive this process (process.exit, a failed test run).
    const killOnExit = () => p.kill();
    process.once('exit', killOnExit);
    p.once('exit', () => process.removeListener('exit', killOnExit));
    let buf = '';
    const onData = (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        p.stdout.off('data', onData);
        p.stdout.resume();
        const url = buf.slice(0, nl).trim().split(/\s+/).find((w) => w.startsWith('http://'));
        if (!url || !url.startsWith('http://127.0.0.1')) return reject(new Error(`unexpected mock server line: ${buf}`));
        resolve({
          url,
          requests,
          stop: () =>
            new Promise((res) => {
              const done = () => {
                fs.rmSync(logFile, { force: true });
                res();
              };
              if (p.exitCode !== null) return done();
              p.once('exit', done);
              p.kill();
            }),
        });
      }
    };
    p.stdout.on('data', onData);
    p.once('error', reject);
    p.once('exit', (code) => reject(new Error(`mock server exited (${code}) before printing its URL`)));
  });
}

/** Differences between expected `a` and actual `b`, by JSON path (numbers by value). */
function diff(a, b, p = '$', out = []) {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b)) {
      out.push({ path: p, expected: a, actual: b });
    } else if (Array.isArray(a)) {
      if (a.length !== b.length) out.push({ path: `${p}.length`, expected: a.length, actual: b.length });
      for (let i = 0; i < Math.min(a.length, b.length); i++) diff(a[i], b[i], `${p}[${i}]`, out);
    } else {
      for (const k of Object.keys(a)) {
        if (!(k in b)) out.push({ path: `${p}.${k}`, expected: a[k], actual: undefined });
        else diff(a[k], b[k], `${p}.${k}`, out);
      }
      for (const k of Object.keys(b)) if (!(k in a)) out.push({ path: `${p}.${k}`, expected: undefined, actual: b[k] });
    }
  } else if (a !== b) {
    out.push({ path: p, expected: a, actual: b });
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves to 'timeout' after `ms` without keeping the process alive. */
const timeout = (ms) => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());

async function waitFor(pred, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(20);
  }
  return pred();
}

module.exports = { ROOT, FIXTURES, BIN, settings, cases, results, caseNames, camelContext, mockServer, diff, sleep, timeout, waitFor };
