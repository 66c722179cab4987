"""From the benchmark matrix's records to results.json (with the rows `make bench-check`
compares) and to the markdown tables (results.md, README.md's "Benchmark matrix").

A record is one JSON object printed by a layer (see bench/matrix.py): `kind` = calibration,
latency, scale, scale_memory, install_1mb, threads or swap.

Rows (`rows` in results.json) are the machine-independent quantities:

* `latency/LAYER/SCENARIO`: time per call divided by the calibration workload's time measured
  in the same run (`checked_ns`: the 10th percentile over the batches of the caller's CPU time
  where the layer measures it, else of the wall time; the best of the rounds); kind `latency`
  (lower is better);
  (not for UNCHECKED_SCENARIOS);
* `ratio/official_python`, `ratio/official_node`: how many times faster than the official SDK,
  geometric mean over the scenarios; kind `throughput` (higher is better);
* `threads/LAYER/SCENARIO`: 2-thread / 1-thread throughput divided by the same ratio of a
  calibration workload measured in the same rounds (the machine's ceiling); kind `throughput`;
  only when that ceiling is at least MIN_CEILING (two cores were really free);
* `scale/N/...`: parse + compile, install and get_flag time (calibration units, `latency`),
  resident memory in kB (`memory`);
* `swap/N/p50`: median get_flag latency with a settings install every 10 ms over the median
  without (`latency`);
* `background/c_ctx`: CPU time of the library's other threads (the event pipeline) per call,
  calibration units (`latency`).
"""

from __future__ import annotations

import math

# Columns of the latency table: (layer, heading, status key).
LAYER_COLUMNS = [
    ("core", "core decision", "rust"),
    ("client", "Rust client", "rust"),
    ("c_json", "C ABI, JSON context", "c"),
    ("c_ctx", "C ABI, reused vwo_context", "c"),
    ("python", "Python", "python"),
    ("go", "Go", "go"),
    ("node", "Node (await)", "node"),
    ("ruby", "Ruby", "ruby"),
    ("official_python", "official Python SDK", "official_python"),
    ("official_node", "official Node SDK", "official_node"),
]
OFFICIAL = {"official_python": "python", "official_node": "node"}
# Layers whose rows are not checked: other people's code.
UNCHECKED_LAYERS = set(OFFICIAL)
# Scenarios shown but not checked: the missing feature is an error path (an error logged and a
# debug event sent per call), whose time depends on how the library's event threads get
# scheduled: 20 % apart between two runs on a 2-vCPU machine.
UNCHECKED_SCENARIOS = {"missing"}
# The 2-thread rows exist only when the calibration workload itself ran at least this much
# faster on 2 threads (else another process held a core: nothing to learn about scaling).
MIN_CEILING = 1.6


def fmt_ns(ns) -> str:
    if ns is None:
        return "-"
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e4:
        return "%.1f us" % (ns / 1e3)
    if ns >= 1e3:
        return "%.2f us" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_kb(kb) -> str:
    if kb is None:
        return "-"
    return "%.1f MB" % (kb / 1024.0)


def _geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def calibration_ns(records) -> float | None:
    """The calibration workload's time per op: the median over its runs (one at the start of
    every round, one at the end) of `checked_ns`. Each run's figure is already a low
    percentile; the minimum of those would follow the one luckiest run (12 % below the others
    in a run seen here), the median does not."""
    vals = sorted(v for v in (checked_ns(r) for r in records if r.get("kind") == "calibration") if v)
    if not vals:
        return None
    mid = len(vals) // 2
    return vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2


def checked_ns(r) -> float | None:
    """The time per call that the rows use: the 10th percentile over the batches of the
    caller's CPU time where the layer measures it, else of the wall time. A busy machine (a
    build on the other core) disturbs the low percentiles far less than the median: they are
    the batches that ran undisturbed."""
    return r.get("cpu_p10_ns") or r.get("p10_ns") or r.get("cpu_ns") or r.get("median_ns")


# Figures of the scaling records for which merge_rounds keeps the lowest of the rounds.
SCALE_MIN_FIELDS = ("compile_ms", "compile_min_ms", "install_ms", "install_min_ms", "json_parse_ms",
                    "core_get_flag_ns", "client_get_flag_ns", "rss_kb", "hwm_kb", "rss_trim_kb", "rss_end_kb")


def merge_rounds(records: list) -> list:
    """One latency record per (layer, scenario): the round with the lowest checked time, its
    fellow rounds' checked times kept in `rounds_ns`. One scaling record per kind and size:
    the lowest of each figure over the rounds. Other records are kept as they are."""
    best, order, out = {}, [], []
    scale = {}
    for r in records:
        if r.get("kind") in ("scale", "install_1mb", "scale_memory"):
            key = (r["kind"], r.get("features"), r.get("template"))
            if key not in scale:
                scale[key] = dict(r, rounds=1)
                out.append(scale[key])
                continue
            m = scale[key]
            m["rounds"] += 1
            for f in SCALE_MIN_FIELDS:
                if isinstance(r.get(f), (int, float)) and isinstance(m.get(f), (int, float)):
                    m[f] = min(m[f], r[f])
            continue
        if r.get("kind") != "latency":
            out.append(r)
            continue
        key = (r["layer"], r["scenario"])
        if key not in best:
            order.append(key)
            best[key] = dict(r, rounds_ns=[])
        prev = best[key]
        prev["rounds_ns"].append(checked_ns(r))
        if checked_ns(r) < checked_ns(prev):
            best[key] = dict(r, rounds_ns=prev["rounds_ns"])
    return out + [best[k] for k in order]


def layer_status(status: dict, key: str) -> str:
    """"ok", "skipped (reason)" or "failed (reason)"; an official SDK shares its binding's
    fate (it runs in that binding's bench program)."""
    if key in OFFICIAL and status.get(OFFICIAL[key], "ok") != "ok":
        return status[OFFICIAL[key]]
    return status.get(key, "ok")


def build(meta: dict, status: dict, records: list) -> dict:
    """results.json: meta, layer status, calibration, records, rows."""
    cal = calibration_ns(records)
    rows = {}

    def row(rid, kind, value, unit, what):
        if value is not None and value > 0:
            rows[rid] = {"kind": kind, "value": value, "unit": unit, "what": what}

    lat = [r for r in records if r.get("kind") == "latency"]
    by = {(r["layer"], r["scenario"]): r for r in lat}
    if cal:
        for r in lat:
            if r["layer"] in UNCHECKED_LAYERS or r["scenario"] in UNCHECKED_SCENARIOS:
                continue
            t = checked_ns(r)
            row("latency/%s/%s" % (r["layer"], r["scenario"]), "latency", t / cal, "calibration units",
                "%s, %s: time per call / calibration" % (r["layer"], r["scenario"]))
    bg = [r["background_cpu_ns"] for r in lat if r["layer"] == "c_ctx" and r.get("background_cpu_ns")]
    if cal and bg:
        row("background/c_ctx", "latency", _geomean(bg) / cal, "calibration units",
            "CPU time of the library's other threads (event pipeline) per vwo_get_flag_ctx call, "
            "geometric mean over the scenarios")
    for off, ours in OFFICIAL.items():
        ratios = [by[(off, s)]["median_ns"] / r["median_ns"] for (layer, s), r in by.items()
                  if layer == ours and (off, s) in by and r.get("median_ns")]
        row("ratio/%s" % off, "throughput", _geomean(ratios), "x",
            "%s / %s binding, geometric mean over the scenarios" % (off, ours))
    for r in records:
        # Only where the machine had two cores to give (another process busy on one of them
        # leaves nothing to compare): the calibration workload's own speedup says so.
        if r.get("kind") == "threads" and r.get("efficiency") and r.get("ceiling", 0) >= MIN_CEILING:
            row("threads/%s/%s" % (r["layer"], r["scenario"]), "throughput", r["efficiency"], "of ceiling",
                "%s, %s: 2-thread speedup / the calibration workload's, same rounds" % (r["layer"], r["scenario"]))
    for r in records:
        k = r.get("kind")
        if k == "scale" and cal:
            n = r["features"]
            compile_ = r.get("compile_min_ms", r["compile_ms"]) * 1e6 / cal
            install = r.get("install_min_ms", r["install_ms"]) * 1e6 / cal
            row("scale/%d/compile" % n, "latency", compile_, "calibration units",
                "%d features: parse + compile (the fastest of its runs)" % n)
            row("scale/%d/install" % n, "latency", install, "calibration units",
                "%d features: install on a live client (the fastest of its runs)" % n)
            row("scale/%d/core_get_flag" % n, "latency", r["core_get_flag_ns"] / cal, "calibration units",
                "%d features: core get_flag" % n)
            row("scale/%d/rss" % n, "memory", r.get("rss_kb"), "kB", "%d features: resident memory" % n)
            if r.get("calls", 0) > r.get("warm_calls", 0):
                row("scale/%d/rss_after_%d_calls" % (n, r["calls"]), "memory", r.get("rss_end_kb"), "kB",
                    "%d features: resident memory after %d calls" % (n, r["calls"]))
        elif k == "scale_memory":
            row("scale/%d_%s/rss" % (r["features"], r["template"]), "memory", r.get("rss_kb"), "kB",
                "%d features (%s only): resident memory" % (r["features"], r["template"]))
        elif k == "install_1mb" and cal:
            install = r.get("install_min_ms", r["install_ms"]) * 1e6 / cal
            row("scale/install_1mb", "latency", install, "calibration units",
                "install of a 1 MB settings file (the fastest of its runs)")
    swaps = {}
    for r in records:
        if r.get("kind") == "swap":
            swaps.setdefault(r["features"], {})[r["swaps"]] = r
    for n, pair in swaps.items():
        if True in pair and False in pair:
            row("swap/%d/p50" % n, "latency", pair[True]["p50_ns"] / pair[False]["p50_ns"], "x",
                "%d features: get_flag p50 with installs every 10 ms / without" % n)
    cal_runs = {r.get("when"): checked_ns(r) for r in records if r.get("kind") == "calibration"}
    return {
        "meta": meta,
        "status": status,
        "calibration": {"ns": cal, "runs": cal_runs,
                        "what": "benches/matrix.rs calibration_op: JSON parse, hashing, sorting, no vwo-fme code; "
                                  "10th percentile of the CPU time per op over batches"},
        "records": records,
        "rows": rows,
    }


# ---------------------------------------------------------------------------------- markdown

def _targets(res):
    recs = res["records"]
    by = {(r["layer"], r["scenario"]): r for r in recs if r.get("kind") == "latency"}

    def lat(layer, sc, cpu=False):
        r = by.get((layer, sc))
        if not r:
            return None
        return (r.get("cpu_ns") or r["median_ns"]) if cpu else r["median_ns"]

    seg = [r["median_ns"] for (layer, s), r in by.items() if layer == "core" and s.startswith("segmentation/")]
    scale = {r["features"]: r for r in recs if r.get("kind") == "scale"}
    inst = next((r for r in recs if r.get("kind") == "install_1mb"), None)
    thr = {(r["layer"], r["scenario"]): r for r in recs if r.get("kind") == "threads"}
    out = []

    def t(what, target, value, fmt, ok, measurable=True):
        out.append((what, target, fmt(value) if value is not None else "not measured",
                    "-" if value is None else ("not measurable here" if not measurable else
                                               "met" if ok(value) else "**missed**")))

    t("core decision, rollout flag (median)", "<= 200 ns", lat("core", "rollout"), fmt_ns, lambda v: v <= 200)
    t("core decision, segmentation-heavy flag (worst of s4's 6)", "<= 1 us", max(seg) if seg else None, fmt_ns,
      lambda v: v <= 1000)
    t("vwo_get_flag, JSON context (id + 3 custom variables), impression queued", "<= 1.5 us",
      lat("c_json", "rollout"), fmt_ns, lambda v: v <= 1500)
    t("vwo_get_flag_ctx, reused vwo_context, impression queued", "<= 400 ns", lat("c_ctx", "rollout"), fmt_ns,
      lambda v: v <= 400)
    py, opy = lat("python", "rollout"), lat("official_python", "rollout")
    t("Python binding get_flag (rollout)", "<= 10 us", py, fmt_ns, lambda v: v <= 10000)
    if py and opy:
        t("official Python SDK / Python binding (rollout)", "(about 2 700 us there)", opy / py,
          lambda v: "%.0fx (official %s)" % (v, fmt_ns(opy)), lambda v: True)
    t("Go binding GetFlag (rollout)", "<= 3 us", lat("go", "rollout"), fmt_ns, lambda v: v <= 3000)
    t("Node binding getFlag, await (rollout)", "<= 10 us", lat("node", "rollout"), fmt_ns, lambda v: v <= 10000)
    t("Ruby binding get_flag (rollout)", "<= 15 us", lat("ruby", "rollout"), fmt_ns, lambda v: v <= 15000)
    t("install of a 1 MB settings file", "<= 20 ms", inst["install_ms"] * 1e6 if inst else None, fmt_ns,
      lambda v: v <= 20e6)
    core2 = thr.get(("core", "rollout_ab"))
    if core2:
        t("2 threads vs 1 (core, rollout + A/B)", ">= 1.8x", core2["speedup"],
          lambda v: "%.2fx (the machine's ceiling, a workload sharing nothing: %.2fx)" % (v, core2.get("ceiling", 0)),
          lambda v: v >= 1.8, measurable=core2.get("ceiling", 0) >= MIN_CEILING)
    s1000 = scale.get(1000)
    t("RSS with 1 000 features (offline client, after 100 000 calls)", "<= 30 MB",
      s1000.get("rss_kb") if s1000 else None,
      lambda v: fmt_kb(v) + (" (%s after malloc_trim)" % fmt_kb(s1000["rss_trim_kb"]) if s1000.get("rss_trim_kb") else ""),
      lambda v: v <= 30 * 1024)
    if s1000 and s1000.get("rss_end_kb"):
        growth = s1000["rss_end_kb"] - (s1000.get("rss_trim_kb") or s1000["rss_kb"])
        t("RSS flat over %s calls (1 000 features)" % "{:,}".format(s1000["calls"]).replace(",", " "),
          "flat", growth, lambda v: "%+d kB" % v, lambda v: v <= 1024)
    return out


def markdown(res) -> str:
    m = res["meta"]
    mc = m["machine"]
    st = res["status"]
    recs = res["records"]
    lines = []
    add = lines.append
    add("Machine: %d vCPU %s%s, %d MB RAM, %s; load average %s before, %s after; %s, commit %s%s." % (
        mc["nproc"], mc["cpu_model"], " (%s guest)" % mc["hypervisor"] if mc.get("hypervisor") else "",
        mc["mem_mb"], mc["os"], " ".join("%.2f" % x for x in m["load_before"]),
        " ".join("%.2f" % x for x in m["load_after"]), m["date"], m["commit"],
        ", QUICK run (not a baseline)" if m.get("quick") else ""))
    add("")
    add("Toolchains: %s; %s; %s; node %s; %s; %s." % (
        mc["rustc"], mc["python"], mc["go"], mc["node"], mc["ruby"], mc["cc"]))
    cal = res["calibration"]
    if cal.get("ns"):
        add("")
        runs = cal.get("runs") or {}
        add("Calibration workload (%s): %s per op, the median of %d runs (%s)." % (
            cal["what"], fmt_ns(cal["ns"]), len(runs), ", ".join(fmt_ns(v) for v in runs.values())))
    add("")

    # ---- latency matrix
    lat = [r for r in recs if r.get("kind") == "latency"]
    by = {(r["layer"], r["scenario"]): r for r in lat}
    scen_order = []
    for r in lat:
        if r["scenario"] not in scen_order and "/" not in r["scenario"]:
            scen_order.append(r["scenario"])
    add("**get_flag latency per call** (median wall time over batches of calls, best of %d round(s); impressions "
        "queued for a loopback server in every layer but the core and the official SDKs, whose network is stubbed "
        "in-process)" % (m.get("rounds") or 1))
    add("")
    heads = [h for _, h, _ in LAYER_COLUMNS] + ["official Python / Python", "official Node / Node"]
    add("| scenario | " + " | ".join(heads) + " |")
    add("|---|" + "---:|" * len(heads))
    statuses = []
    for layer, _, key in LAYER_COLUMNS:
        s = layer_status(st, key)
        statuses.append("ok" if s == "ok" else s)
    add("| *layer status* | " + " | ".join(statuses) + " | | |")
    mismatch = []
    for sc in scen_order:
        ref = by.get(("core", sc), {}).get("decisions")
        cells = []
        for layer, _, key in LAYER_COLUMNS:
            r = by.get((layer, sc))
            if r is None:
                s = layer_status(st, key)
                cells.append("skipped" if s.startswith("skipped") else ("failed" if s.startswith("failed") else "-"))
                continue
            c = fmt_ns(r["median_ns"])
            if ref is not None and r.get("decisions") is not None and r["decisions"] != ref:
                c += " (!)"
                mismatch.append("%s/%s" % (layer, sc))
            if r.get("all_delivered") is False:
                c += " (undelivered)"
            cells.append(c)
        for off, ours in OFFICIAL.items():
            a, b = by.get((off, sc)), by.get((ours, sc))
            cells.append("%.0fx" % (a["median_ns"] / b["median_ns"]) if a and b else "-")
        add("| %s | %s |" % (sc, " | ".join(cells)))
    add("")
    if mismatch:
        add("(!) decisions differ from the core's for: %s." % ", ".join(mismatch))
    else:
        add("Every layer, the official SDKs included, returned the same decisions (isEnabled per feature, "
            "first pass) as the core.")
    seg = sorted((s, r) for (layer, s), r in by.items() if layer == "core" and s.startswith("segmentation/"))
    if seg:
        add("Core, each s4_segmentation flag alone: %s." % ", ".join(
            "%s %s" % (s.split("/", 1)[1], fmt_ns(r["median_ns"])) for s, r in seg))
    bg = [(s, r) for (layer, s), r in by.items() if layer == "c_ctx" and r.get("background_cpu_ns")]
    if bg:
        add("Event pipeline (the library's own threads: impression payloads built, batched, sent to the loopback "
            "server), CPU time per call besides the caller's, C ABI with a reused context: %s." % ", ".join(
                "%s %s" % (s, fmt_ns(r["background_cpu_ns"])) for s, r in bg))
    sync = [(s, r) for (layer, s), r in by.items() if layer == "node_sync"]
    if sync:
        add("Node `getFlagSync`: %s." % ", ".join("%s %s" % (s, fmt_ns(r["median_ns"])) for s, r in sync))
    add("")

    # ---- targets
    add("**Targets** (docs: architecture.md)")
    add("")
    add("| what | target | measured | |")
    add("|---|---|---:|---|")
    for what, target, val, ok in _targets(res):
        add("| %s | %s | %s | %s |" % (what, target, val, ok))
    add("")

    # ---- scaling
    scale = sorted((r for r in recs if r.get("kind") == "scale"), key=lambda r: r["features"])
    if scale:
        add("**Scaling** (generated settings: the features of s2_rollout_ab and s4_segmentation copied under new keys)")
        add("")
        add("| features | settings | parse + compile | install (live client) | core get_flag | client get_flag "
            "| RSS after 100 000 calls | same after malloc_trim | RSS after all calls |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in scale:
            add("| %d | %.0f kB | %s | %s | %s | %s | %s | %s | %s (%s calls) |" % (
                r["features"], r["bytes"] / 1000.0, fmt_ns(r["compile_ms"] * 1e6), fmt_ns(r["install_ms"] * 1e6),
                fmt_ns(r["core_get_flag_ns"]), fmt_ns(r["client_get_flag_ns"]), fmt_kb(r.get("rss_kb")),
                fmt_kb(r.get("rss_trim_kb")), fmt_kb(r.get("rss_end_kb")),
                "{:,}".format(r.get("calls") or 0).replace(",", " ")))
        add("")
        extra = []
        for r in recs:
            if r.get("kind") == "install_1mb":
                extra.append("install of a %.0f kB settings file (%d features): %s (JSON parse %s of it)" % (
                    r["bytes"] / 1000.0, r["features"], fmt_ns(r["install_ms"] * 1e6), fmt_ns(r["json_parse_ms"] * 1e6)))
            if r.get("kind") == "scale_memory":
                extra.append("%d features of %s only (%.0f kB): RSS %s" % (
                    r["features"], r["template"], r["bytes"] / 1000.0, fmt_kb(r.get("rss_kb"))))
        if extra:
            add("; ".join(extra) + ".")
            add("")

    # ---- threads
    thr = [r for r in recs if r.get("kind") == "threads"]
    if thr:
        add("**1 vs 2 threads** (calls per second, median of 5 rounds; each round also measures a workload that "
            "shares nothing, the machine's ceiling, on 1 and 2 threads)")
        add("")
        add("| workload | 1 thread | 2 threads | speedup | ceiling | speedup / ceiling |")
        add("|---|---:|---:|---:|---:|---:|")
        for r in thr:
            add("| %s, %s | %s/s | %s/s | %.2fx | %.2fx | %.0f %% |" % (
                r["layer"], r["scenario"], _si(r["t1_per_s"]), _si(r["t2_per_s"]), r["speedup"],
                r.get("ceiling", 0), 100 * r.get("efficiency", 0)))
        add("")

    # ---- swap
    sw = sorted((r for r in recs if r.get("kind") == "swap"), key=lambda r: (r["features"], r["swaps"]))
    if sw:
        add("**Settings swap under load** (one thread calls get_flag on a client; another installs new settings "
            "every 10 ms, back to back when an install takes longer)")
        add("")
        add("| features | installs | get_flag p50 | p99 | p99.9 | max | calls |")
        add("|---:|---|---:|---:|---:|---:|---:|")
        for r in sw:
            add("| %d (%.0f kB) | %s | %s | %s | %s | %s | %s |" % (
                r["features"], r["bytes"] / 1000.0,
                "%d, %.1f ms each" % (r["installs"], r["install_ms"]) if r["swaps"] else "none",
                fmt_ns(r["p50_ns"]), fmt_ns(r["p99_ns"]), fmt_ns(r["p999_ns"]), fmt_ns(r["max_ns"]),
                "{:,}".format(r["calls"]).replace(",", " ")))
        add("")
    return "\n".join(lines) + "\n"


def _si(x):
    if x >= 1e6:
        return "%.2f M" % (x / 1e6)
    if x >= 1e3:
        return "%.0f k" % (x / 1e3)
    return "%.0f" % x


if __name__ == "__main__":
    # python3 bench/report.py build/bench/results.json: the tables again (e.g. after a change
    # of this file), without running anything.
    import json
    import sys

    res = json.load(open(sys.argv[1]))
    sys.stdout.write(markdown(build(res["meta"], res["status"], res["records"])))
