#!/usr/bin/env python3
"""`make bench-check`: the benchmark matrix's rows against a committed baseline.

    python3 bench/check.py --baseline bench/baseline.json --results build/bench/results.json
    python3 bench/check.py --write-baseline bench/baseline.json --results build/bench/results.json

Rows (bench/report.py) are machine-independent quantities: times divided by a calibration
workload measured in the same run, speedups divided by the machine's ceiling, ratios to the
official SDKs, resident memory. Each row has a kind:

* `throughput` (higher is better): a regression when it fell by more than THROUGHPUT_TOL (15 %);
* `latency` (lower is better, its throughput is 1 / latency): a regression when the
  throughput 1 / value fell by more than THROUGHPUT_TOL, i.e. value > baseline / 0.85;
* `memory` (lower is better): a regression when it grew by more than MEMORY_TOL (25 %).

The rows are derived again from the run's records (bench/report.py of this checkout), so a
results.json and the baseline are compared under the same definitions.

A row of the baseline that this run did not measure (a layer skipped on this machine) is
listed, not counted as a regression. Exit status: 0 when nothing regressed, 1 otherwise,
2 on unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402  (bench/report.py)

THROUGHPUT_TOL = 0.15
MEMORY_TOL = 0.25


@dataclass
class Finding:
    row: str
    kind: str
    baseline: float | None
    current: float | None
    # Change of the compared quantity, as a fraction: throughput change for `throughput` and
    # `latency` rows (negative = slower), size change for `memory` rows (positive = bigger).
    change: float | None
    allowed: float
    status: str  # "ok", "regressed", "improved", "missing", "new"
    unit: str = ""
    what: str = ""

    def line(self) -> str:
        if self.status in ("missing", "new"):
            v = self.baseline if self.status == "missing" else self.current
            return "%-9s %-48s %s (%s)" % (self.status.upper(), self.row,
                                           "not measured in this run" if self.status == "missing"
                                           else "not in the baseline", _num(v, self.unit))
        label = "memory" if self.kind == "memory" else "throughput"
        return "%-9s %-48s baseline %s, now %s: %s %+.1f %% (allowed %s%.0f %%)" % (
            self.status.upper(), self.row, _num(self.baseline, self.unit), _num(self.current, self.unit), label,
            100 * self.change, "+" if self.kind == "memory" else "-", 100 * self.allowed)


def _num(v, unit):
    if v is None:
        return "-"
    s = ("%.0f" % v) if abs(v) >= 100 else ("%.3g" % v)
    return "%s %s" % (s, unit) if unit else s


def change_of(kind: str, baseline: float, current: float) -> float:
    """The compared change, as a fraction (see Finding.change)."""
    if kind == "latency":
        return baseline / current - 1.0  # throughput = 1 / latency
    return current / baseline - 1.0


def compare(baseline_rows: dict, current_rows: dict, throughput_tol: float = THROUGHPUT_TOL,
            memory_tol: float = MEMORY_TOL) -> list:
    """Findings for every row of either side, baseline order first."""
    out = []
    for rid, b in baseline_rows.items():
        kind = b["kind"]
        if kind not in ("latency", "throughput", "memory"):
            raise ValueError("row %s: unknown kind %r" % (rid, kind))
        allowed = memory_tol if kind == "memory" else throughput_tol
        c = current_rows.get(rid)
        if c is None or not c.get("value") or not b.get("value"):
            out.append(Finding(rid, kind, b.get("value"), None, None, allowed, "missing", b.get("unit", ""),
                               b.get("what", "")))
            continue
        ch = change_of(kind, b["value"], c["value"])
        # A little slack for float noise at the boundary (1e-9).
        if kind == "memory":
            status = "regressed" if ch > allowed + 1e-9 else ("improved" if ch < -allowed else "ok")
        else:
            status = "regressed" if ch < -allowed - 1e-9 else ("improved" if ch > allowed else "ok")
        out.append(Finding(rid, kind, b["value"], c["value"], ch, allowed, status, b.get("unit", ""),
                           b.get("what", "")))
    for rid, c in current_rows.items():
        if rid not in baseline_rows:
            out.append(Finding(rid, c["kind"], None, c.get("value"), None, 0.0, "new", c.get("unit", ""),
                               c.get("what", "")))
    return out


def busy_machine(meta: dict) -> str | None:
    """Why a run's machine was busy (1-minute load average above half its CPUs when the run
    started; at the end it counts the benchmark's own threads), or None."""
    n = (meta.get("machine") or {}).get("nproc") or 0
    load = (meta.get("load_before") or [None])[0]
    if n and load is not None and load > n / 2.0:
        return "load average %.1f on %d CPUs when it started" % (load, n)
    return None


def regressions(findings) -> list:
    return [f for f in findings if f.status == "regressed"]


def baseline_from(results: dict) -> dict:
    """What bench/baseline.json keeps of a results.json: the rows and where they came from."""
    meta = results.get("meta", {})
    return {
        "_comment": "make bench-check compares build/bench/results.json's rows with these (bench/check.py); "
                    "regenerate with make bench && make bench-baseline on an idle machine.",
        "meta": {k: meta.get(k) for k in ("date", "commit", "machine", "load_before", "load_after", "budget_ms",
                                           "quick")},
        "calibration": results.get("calibration", {}).get("ns"),
        "status": results.get("status", {}),
        "rows": results["rows"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="results.json of a `make bench` run")
    ap.add_argument("--baseline", help="the committed baseline (bench/baseline.json)")
    ap.add_argument("--write-baseline", help="write a baseline from --results to this path and exit")
    ap.add_argument("--throughput-tol", type=float, default=THROUGHPUT_TOL)
    ap.add_argument("--memory-tol", type=float, default=MEMORY_TOL)
    ap.add_argument("--verbose", "-v", action="store_true", help="list every row, not only the notable ones")
    a = ap.parse_args(argv)
    try:
        results = json.loads(Path(a.results).read_text())
    except (OSError, ValueError) as e:
        print("bench-check: cannot read %s: %s" % (a.results, e), file=sys.stderr)
        return 2
    # The rows again from the run's records, with this checkout's definitions (the baseline
    # was written by the same code).
    if results.get("records"):
        results["rows"] = report.build(results.get("meta", {}), results.get("status", {}),
                                       results["records"])["rows"]
    if a.write_baseline:
        if results.get("meta", {}).get("quick"):
            print("bench-check: %s comes from a --quick run; not a baseline" % a.results, file=sys.stderr)
            return 2
        Path(a.write_baseline).write_text(json.dumps(baseline_from(results), indent=1, sort_keys=False) + "\n")
        print("wrote %s (%d rows)" % (a.write_baseline, len(results["rows"])))
        return 0
    if not a.baseline:
        print("bench-check: --baseline or --write-baseline is needed", file=sys.stderr)
        return 2
    try:
        baseline = json.loads(Path(a.baseline).read_text())
    except (OSError, ValueError) as e:
        print("bench-check: cannot read %s: %s" % (a.baseline, e), file=sys.stderr)
        return 2
    try:
        findings = compare(baseline["rows"], results["rows"], a.throughput_tol, a.memory_tol)
    except (KeyError, ValueError) as e:
        print("bench-check: unusable rows: %s" % e, file=sys.stderr)
        return 2
    bm, rm = baseline.get("meta", {}), results.get("meta", {})
    print("bench-check: %s (%s, %s) against baseline %s (%s, %s); tolerances: throughput -%.0f %%, memory +%.0f %%" % (
        a.results, rm.get("commit"), rm.get("date"), a.baseline, bm.get("commit"), bm.get("date"),
        100 * a.throughput_tol, 100 * a.memory_tol))
    if rm.get("quick"):
        print("bench-check: note: the results come from a --quick run (short measurements, noisier)")
    for label, m in (("this run", rm), ("the baseline", bm)):
        busy = busy_machine(m)
        if busy:
            print("bench-check: note: %s ran on a busy machine (%s): figures are noisy, the 2-thread rows missing; "
                  "compare runs made on an idle machine" % (label, busy))
    counts = {}
    for f in findings:
        counts[f.status] = counts.get(f.status, 0) + 1
        if a.verbose or f.status != "ok":
            print("  " + f.line())
    bad = regressions(findings)
    print("bench-check: %d rows: %s" % (len(findings), ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))))
    if bad:
        worst = min(bad, key=lambda f: -abs(f.change))
        print("bench-check: FAILED: %d row(s) regressed beyond tolerance (worst: %s, %+.1f %%)" % (
            len(bad), worst.row, 100 * worst.change))
        return 1
    print("bench-check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
