#!/usr/bin/env bash
# Runs a command next to a loopback VWO mock server (the project's `vwo-fme mock-server`).
#
#   tests/c/with_mock_server.sh [--settings FILE] -- COMMAND [ARG...]
#
# The server serves FILE (default examples/settings.json) on 127.0.0.1 at a free port and
# records every request as a JSON line. The command gets VWO_MOCK_URL (http://127.0.0.1:PORT)
# and VWO_MOCK_LOG (the request log) in its environment. The server is stopped when the
# command ends, however it ends; the script exits with the command's status.
set -euo pipefail

bin=${VWO_FME_BIN:-target/release/vwo-fme}
settings=examples/settings.json
while [ $# -gt 0 ]; do
  case "$1" in
    --settings) settings=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--settings FILE] -- COMMAND [ARG...]" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/vwo-mock.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" mock-server --settings "$settings" --port 0 --log "$dir/requests.jsonl" >"$dir/url" 2>"$dir/err" &
pid=$!
url=
for _ in $(seq 1 200); do
  if [ "$(wc -l <"$dir/url")" -ge 1 ]; then url=$(head -n1 "$dir/url"); break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.05
done
case "$url" in
  http://127.0.0.1:*) ;;
  *) echo "mock server did not start: $(cat "$dir/err")" >&2; exit 1 ;;
esac

export VWO_MOCK_URL=$url VWO_MOCK_LOG=$dir/requests.jsonl
"$@"
