#!/usr/bin/env bash
# Python binding: a python3 (>= 3.9) with venv and pip. Idempotent: installs only what is
# missing. pytest, setuptools and wheel go into the venv that `make test-python` creates.
set -euo pipefail

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
else
  need_apt+=(python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi
python3 -c 'import sys; assert sys.version_info >= (3, 9), sys.version'
echo "python: $(python3 --version)"
