#!/usr/bin/env bash
# Node.js binding: node and npm (Debian's, when the image lacks them), then the package's
# locked dependencies (koffi and, for the benchmark, vwo-fme-node-sdk). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "node.sh: Node.js >= 18 is needed, found $(node --version)" >&2
  exit 1
fi
if [ ! -d bindings/node/node_modules/koffi ] || [ ! -d bindings/node/node_modules/vwo-fme-node-sdk ]; then
  (cd bindings/node && npm ci --no-audit --no-fund)
fi
echo "node $(node --version), koffi $(node -p 'require("./bindings/node/node_modules/koffi/package.json").version')"
