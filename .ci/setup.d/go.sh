#!/usr/bin/env bash
# Go toolchain for the Go binding (bindings/go). The machine image has Go; install Debian's
# only if it is missing. The binding has no module dependencies beyond the standard library.
set -euo pipefail
if command -v go >/dev/null 2>&1; then
  echo "go: $(go version)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq golang-go >/dev/null
go version
