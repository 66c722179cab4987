"""Unit tests of the benchmark regression check (bench/check.py) and of the machine-independent
rows it compares (bench/report.py). Run by `make test-bench` (part of `make test`)."""

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check  # noqa: E402
import report  # noqa: E402


def rows(**kw):
    """{"id": (kind, value)} -> rows."""
    return {rid.replace("__", "/"): {"kind": k, "value": v, "unit": ""} for rid, (k, v) in kw.items()}


def one(kind, base, cur):
    (f,) = check.compare(rows(r=(kind, base)), rows(r=(kind, cur)))
    return f


# ---------------------------------------------------------------------------- tolerances

def test_tolerances_are_the_issue_s():
    assert check.THROUGHPUT_TOL == 0.15
    assert check.MEMORY_TOL == 0.25


def test_latency_within_tolerance_passes():
    f = one("latency", 10.0, 11.5)  # 15 % more time = 13.0 % less throughput
    assert f.status == "ok"
    assert f.change == pytest.approx(10.0 / 11.5 - 1)
    assert f.change == pytest.approx(-0.1304, abs=1e-4)


def test_latency_over_tolerance_fails():
    f = one("latency", 10.0, 12.0)  # throughput 1/12 vs 1/10: -16.7 %
    assert f.status == "regressed"
    assert f.change == pytest.approx(-1 / 6)


def test_latency_at_exactly_minus_15_percent_throughput_passes():
    assert one("latency", 10.0, 10.0 / 0.85).status == "ok"
    assert one("latency", 10.0, 10.0 / 0.85 * 1.001).status == "regressed"


def test_throughput_rows():
    assert one("throughput", 2.0, 1.72).status == "ok"  # -14 %
    f = one("throughput", 2.0, 1.68)  # -16 %
    assert f.status == "regressed"
    assert f.change == pytest.approx(-0.16)
    assert one("throughput", 2.0, 2.5).status == "improved"


def test_memory_rule_is_plus_25_percent():
    assert one("memory", 100_000, 124_000).status == "ok"
    f = one("memory", 100_000, 126_000)
    assert f.status == "regressed"
    assert f.change == pytest.approx(0.26)
    # +20 % would fail a 15 % rule; memory has its own 25 %.
    assert one("memory", 100_000, 120_000).status == "ok"
    # Less memory is never a regression.
    assert one("memory", 100_000, 50_000).status == "improved"


def test_faster_is_never_a_regression():
    assert one("latency", 10.0, 5.0).status == "improved"
    assert one("latency", 10.0, 9.9).status == "ok"


def test_missing_and_new_rows_are_listed_not_failed():
    fs = check.compare(rows(a=("latency", 1.0), b=("memory", 10.0)), rows(a=("latency", 1.0), c=("throughput", 3.0)))
    by = {f.row: f.status for f in fs}
    assert by == {"a": "ok", "b": "missing", "c": "new"}
    assert check.regressions(fs) == []


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError):
        check.compare(rows(a=("speed", 1.0)), rows(a=("speed", 1.0)))


# ---------------------------------------------------------------------------- machine-independent rows

CAL = {"kind": "calibration", "name": "rust_mix", "median_ns": 1000.0, "cpu_ns": 1000.0}


def records(scale=1.0, python_factor=1.0, rss_kb=100_000, speedup=1.9):
    """A small run: calibration, two layers, the official SDK, threads, scale, swap; every time
    multiplied by `scale` (a slower or faster machine)."""
    def lat(layer, sc, ns, cpu=True):
        r = {"kind": "latency", "layer": layer, "scenario": sc, "median_ns": ns * scale, "decisions": [True]}
        if cpu:
            r["cpu_ns"] = ns * scale
        return r

    return [
        dict(CAL, median_ns=1000.0 * scale, cpu_ns=1000.0 * scale, when="start"),
        dict(CAL, median_ns=1000.0 * scale, cpu_ns=1000.0 * scale, when="end"),
        lat("core", "rollout", 170.0),
        lat("c_json", "rollout", 900.0),
        lat("python", "rollout", 4000.0 * python_factor),
        lat("node", "rollout", 4200.0, cpu=False),
        lat("official_python", "rollout", 1_400_000.0),
        {"kind": "threads", "layer": "core", "scenario": "rollout_ab", "t1_per_s": 3e6 / scale,
         "t2_per_s": 3e6 * speedup / scale, "speedup": speedup, "ceiling": 2.0, "efficiency": speedup / 2.0},
        {"kind": "scale", "features": 1000, "bytes": 1_800_000, "compile_ms": 70.0 * scale, "install_ms": 80.0 * scale,
         "core_get_flag_ns": 160.0 * scale, "client_get_flag_ns": 230.0 * scale, "rss_kb": rss_kb,
         "rss_end_kb": rss_kb, "calls": 10_000_000, "warm_calls": 100_000},
        {"kind": "swap", "features": 100, "bytes": 184_000, "swaps": False, "p50_ns": 450.0 * scale, "p99_ns": 900.0,
         "p999_ns": 4000.0, "max_ns": 1e6, "calls": 1000, "installs": 0, "install_ms": 0},
        {"kind": "swap", "features": 100, "bytes": 184_000, "swaps": True, "p50_ns": 460.0 * scale, "p99_ns": 1200.0,
         "p999_ns": 4500.0, "max_ns": 1e7, "calls": 1000, "installs": 40, "install_ms": 6.0},
    ]


def build(**kw):
    meta = {"date": "d", "commit": "c", "quick": False, "budget_ms": 400, "seconds": 1, "load_before": [0, 0, 0],
            "load_after": [0, 0, 0], "machine": {"nproc": 2, "cpu_model": "x", "hypervisor": "", "mem_mb": 1,
                                                 "os": "Linux", "rustc": "", "python": "", "go": "", "node": "",
                                                 "ruby": "", "cc": ""}}
    return report.build(meta, {"rust": "ok", "c": "ok", "python": "ok", "go": "skipped (go not found on PATH)",
                               "node": "ok", "ruby": "ok"}, records(**kw))


def test_rows_are_normalised_by_the_calibration():
    r = build()["rows"]
    assert r["latency/core/rollout"]["value"] == pytest.approx(0.17)
    assert r["latency/python/rollout"]["value"] == pytest.approx(4.0)
    assert r["latency/node/rollout"]["value"] == pytest.approx(4.2)  # wall time when no CPU time
    assert r["ratio/official_python"]["value"] == pytest.approx(350.0)
    assert r["ratio/official_python"]["kind"] == "throughput"
    assert r["threads/core/rollout_ab"]["value"] == pytest.approx(0.95)
    assert r["scale/1000/rss"] == {"kind": "memory", "value": 100_000, "unit": "kB",
                                   "what": "1000 features: resident memory"}
    assert r["scale/1000/compile"]["value"] == pytest.approx(70_000.0)
    assert r["swap/100/p50"]["value"] == pytest.approx(460 / 450)
    # Other people's code is not checked, only the ratio to it.
    assert not [k for k in r if k.startswith("latency/official")]


def test_the_error_path_scenario_is_shown_not_checked():
    rec = records() + [{"kind": "latency", "layer": "c_ctx", "scenario": "missing", "median_ns": 9000.0,
                        "cpu_ns": 9000.0, "decisions": [False]}]
    res = report.build({"machine": {}}, {}, rec)
    assert "latency/c_ctx/missing" not in res["rows"]
    assert "latency/c_ctx/rollout" not in res["rows"]  # (not in the records at all)
    assert any(r.get("scenario") == "missing" for r in res["records"])


def test_a_slower_machine_is_not_a_regression():
    base = build()["rows"]
    for scale in (0.5, 2.0, 3.0):
        fs = check.compare(base, build(scale=scale)["rows"])
        assert check.regressions(fs) == [], scale
        assert {f.status for f in fs} == {"ok"}


def test_one_slower_layer_is_the_one_regression():
    base = build()["rows"]
    fs = check.compare(base, build(scale=2.0, python_factor=1.2)["rows"])
    bad = check.regressions(fs)
    assert [f.row for f in bad] == ["latency/python/rollout", "ratio/official_python"]
    assert bad[0].change == pytest.approx(1 / 1.2 - 1)  # -16.7 % throughput


def test_memory_and_scaling_rows_regress_on_their_own_rules():
    base = build()["rows"]
    bad = check.regressions(check.compare(base, build(rss_kb=130_000)["rows"]))
    assert {f.row for f in bad} == {"scale/1000/rss", "scale/1000/rss_after_10000000_calls"}
    assert check.regressions(check.compare(base, build(rss_kb=120_000)["rows"])) == []
    bad = check.regressions(check.compare(base, build(speedup=1.5)["rows"]))
    assert [f.row for f in bad] == ["threads/core/rollout_ab"]


def test_thread_rows_need_two_free_cores():
    rec = records()
    for r in rec:
        if r["kind"] == "threads":
            r["ceiling"] = 1.1  # a build on the other core: no scaling to see
    rows_busy = report.build({"machine": {}}, {}, rec)["rows"]
    assert "threads/core/rollout_ab" not in rows_busy
    fs = check.compare(build()["rows"], rows_busy)
    assert [f.status for f in fs if f.row == "threads/core/rollout_ab"] == ["missing"]
    assert check.regressions(fs) == []


def test_busy_machine_note():
    assert check.busy_machine({"machine": {"nproc": 2}, "load_before": [2.5, 2, 2], "load_after": [0.5, 1, 1]})
    # The load at the end counts the benchmark's own threads: not a sign of a busy machine.
    assert check.busy_machine({"machine": {"nproc": 2}, "load_before": [0.3, 2, 2], "load_after": [3.0, 1, 1]}) is None


def test_markdown_reports_a_skipped_layer_with_its_reason():
    md = report.markdown(build())
    assert "skipped (go not found on PATH)" in md
    status_row = next(line for line in md.splitlines() if line.startswith("| *layer status*"))
    assert "skipped (go not found on PATH)" in status_row
    rollout = next(line for line in md.splitlines() if line.startswith("| rollout |"))
    assert "| skipped |" in rollout
    assert "350x" in rollout


def test_rounds_keep_the_best_round_of_each_row():
    rec = records()
    # A second round: every latency slower but node's (whose wall-time p10 is lower), the
    # calibration the same.
    slower = [dict(r) if r["kind"] != "latency" else
              dict(r, cpu_ns=r["cpu_ns"] * 1.5) if r.get("cpu_ns") else
              dict(r, p10_ns=3000.0) if r.get("layer") == "node" else dict(r) for r in records()]
    merged = report.merge_rounds(rec + slower)
    lat = [r for r in merged if r["kind"] == "latency"]
    assert len(lat) == 5  # one per (layer, scenario)
    py = next(r for r in lat if r["layer"] == "python")
    assert py["cpu_ns"] == 4000.0 and py["rounds_ns"] == [4000.0, 6000.0]
    node = next(r for r in lat if r["layer"] == "node")
    assert node["p10_ns"] == 3000.0  # lower 10th percentile of the wall time wins (no CPU time)
    assert report.calibration_ns(merged) == 1000.0  # median over the calibration runs
    # The merged run has the rows of the best round.
    base = build()["rows"]
    meta = {"machine": {}}
    again = report.build(meta, {}, merged)["rows"]
    assert again["latency/python/rollout"] == base["latency/python/rollout"]
    assert again["latency/node/rollout"]["value"] == pytest.approx(3.0)


def test_rounds_keep_the_lowest_scaling_figures():
    a = [r for r in records() if r["kind"] == "scale"]
    b = [dict(r, compile_ms=r["compile_ms"] / 2, rss_kb=r["rss_kb"] * 2) for r in a]
    merged = [r for r in report.merge_rounds(a + b) if r["kind"] == "scale"]
    assert len(merged) == 1
    assert merged[0]["compile_ms"] == a[0]["compile_ms"] / 2
    assert merged[0]["rss_kb"] == a[0]["rss_kb"]
    assert merged[0]["rounds"] == 2


def test_calibration_is_the_median_of_its_runs():
    runs = [dict(CAL, cpu_p10_ns=v) for v in (955.0, 952.0, 923.0, 814.0, 993.0, 944.0)]
    assert report.calibration_ns(runs) == pytest.approx((944.0 + 952.0) / 2)  # not the lucky 814
    assert report.calibration_ns(runs[:3]) == 952.0
    assert report.calibration_ns([{"kind": "latency", "median_ns": 1.0}]) is None


def test_checked_time_prefers_the_cpu_p10_then_the_wall_p10():
    assert report.checked_ns({"cpu_p10_ns": 4.5, "cpu_ns": 5.0, "p10_ns": 4.0, "median_ns": 6.0}) == 4.5
    assert report.checked_ns({"p10_ns": 4.0, "median_ns": 6.0}) == 4.0
    assert report.checked_ns({"cpu_ns": 5.0, "median_ns": 6.0}) == 5.0
    assert report.checked_ns({"median_ns": 6.0}) == 6.0


# ---------------------------------------------------------------------------- command line

def write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return str(p)


def test_cli_exit_status_and_report(tmp_path, capsys):
    results = build()
    write(tmp_path, "results.json", results)
    assert check.main(["--write-baseline", str(tmp_path / "baseline.json"),
                       "--results", str(tmp_path / "results.json")]) == 0
    baseline = json.loads((tmp_path / "baseline.json").read_text())
    assert baseline["rows"] == results["rows"]

    ok = write(tmp_path, "ok.json", build(scale=1.5))
    assert check.main(["--baseline", str(tmp_path / "baseline.json"), "--results", ok]) == 0
    assert "bench-check: ok" in capsys.readouterr().out

    slow = write(tmp_path, "slow.json", build(python_factor=1.25))
    assert check.main(["--baseline", str(tmp_path / "baseline.json"), "--results", slow]) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "latency/python/rollout" in ln)
    assert line.strip().startswith("REGRESSED")
    assert "-20.0 %" in line and "allowed -15 %" in line
    assert "FAILED" in out


def test_cli_refuses_a_quick_run_as_baseline(tmp_path):
    r = build()
    r["meta"]["quick"] = True
    p = write(tmp_path, "quick.json", r)
    assert check.main(["--write-baseline", str(tmp_path / "b.json"), "--results", p]) == 2
    assert not (tmp_path / "b.json").exists()


def test_cli_unreadable_input(tmp_path):
    assert check.main(["--baseline", str(tmp_path / "none.json"), "--results", str(tmp_path / "none.json")]) == 2


def test_committed_baseline_is_well_formed():
    p = Path(__file__).resolve().parent / "baseline.json"
    if not p.exists():
        pytest.skip("no bench/baseline.json yet")
    b = json.loads(p.read_text())
    assert b["rows"], "empty baseline"
    assert not b["meta"].get("quick")
    for rid, r in b["rows"].items():
        assert r["kind"] in ("latency", "throughput", "memory"), rid
        assert r["value"] > 0, rid
    # Comparing the baseline with itself finds nothing.
    assert {f.status for f in check.compare(b["rows"], copy.deepcopy(b["rows"]))} == {"ok"}
