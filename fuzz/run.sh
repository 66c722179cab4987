#!/usr/bin/env bash
# Runs fuzz targets for a fixed time each and prints a summary table (fuzz/README.md).
#   fuzz/run.sh SECONDS JOBS [TARGET...]    (default: every target; JOBS targets at a time)
# Needs `cargo fuzz build` first (mk/fuzz.mk does it). Logs go to fuzz/logs/<target>.log,
# crashing inputs to fuzz/artifacts/<target>/, the growing corpus to fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:?seconds per target}
jobs=${2:-1}
shift 2 || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(settings context segmentation ffi_sequence)
bin=fuzz/target/x86_64-unknown-linux-gnu/release
# Extra libFuzzer flags: FUZZ_FLAGS. A hang (>10 s for one input) and >4 GiB RSS are crashes.
flags=${FUZZ_FLAGS:-"-timeout=10 -rss_limit_mb=4096 -print_final_stats=1"}
mkdir -p fuzz/logs

run_one() {
  t=$1
  mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
  # shellcheck disable=SC2086
  if "$bin/$t" "fuzz/corpus/$t" -max_total_time="$secs" -artifact_prefix="fuzz/artifacts/$t/" $flags \
      >"fuzz/logs/$t.log" 2>&1; then
    echo "$t: done"
  else
    echo "$t: STOPPED (a crash, leak, timeout or OOM: see fuzz/logs/$t.log and fuzz/artifacts/$t/)"
  fi
}
export -f run_one
export bin secs flags
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

echo
printf '| %-13s | %6s | %12s | %7s | %6s | %7s | %6s | %7s |\n' target seconds executions exec/s cov ft corpus crashes
printf '|%s|\n' "---------------|--------|--------------|---------|--------|---------|--------|---------"
status=0
for t in "${targets[@]}"; do
  log=fuzz/logs/$t.log
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -n1)
  line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n1)
  [ -n "$execs" ] || execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$line")
  cov=$(grep -oE 'cov: [0-9]+' <<<"$line" | awk '{print $2}')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$line" | awk '{print $2}')
  corp=$(grep -oE 'corp: [0-9]+' <<<"$line" | awk '{print $2}')
  rate=$(grep -oE 'exec/s: [0-9]+' <<<"$line" | awk '{print $2}')
  crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  [ "$crashes" -eq 0 ] || status=1
  printf '| %-13s | %6s | %12s | %7s | %6s | %7s | %6s | %7s |\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
done
exit $status
