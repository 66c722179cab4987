'use strict';
// The TypeScript declarations (index.d.ts) compile against typical usage (test/types/usage.ts).

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { execFileSync } = require('child_process');

let tsc = null;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch (_) {
  tsc = null;
}

test('index.d.ts type-checks the official usage', { skip: !tsc && 'typescript is not installed (npm ci)' }, () => {
  const args = [tsc, '--noEmit', '--strict', '--target', 'es2020', '--module', 'commonjs', '--moduleResolution', 'node', '--lib', 'es2020', path.join(__dirname, 'types', 'usage.ts')];
  let out = '';
  try {
    out = execFileSync(process.execPath, args, { encoding: 'utf8', cwd: path.join(__dirname, '..') });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
  assert.strictEqual(out.trim(), '');
});
