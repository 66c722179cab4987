#!/usr/bin/env bash
# Ruby, its headers and the ffi gem for the Ruby binding (bindings/ruby), from Debian,
# installed only when missing. minitest ships with Debian's ruby.
set -euo pipefail
if command -v ruby >/dev/null 2>&1 && ruby -e 'require "ffi"; require "minitest"' >/dev/null 2>&1; then
  echo "ruby: $(ruby -v), ffi $(ruby -rffi -e 'print FFI::VERSION')"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq ruby ruby-dev ruby-ffi >/dev/null
ruby -v
ruby -rffi -e 'puts "ffi #{FFI::VERSION}"'
