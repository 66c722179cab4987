#!/usr/bin/env python3
"""get_flag latency: vwo_fme (this binding) vs the official vwo-fme-python-sdk 1.65.0.

Same settings (tests/fixtures/conformance/settings/s1_rollout_only.json and
s4_segmentation.json), same calls (the get_flag calls of the matching conformance case files:
same feature keys, same contexts), both in this Python.

* vwo_fme: the client as deployed: `proxy_url` to the project's loopback mock server
  (`vwo-fme mock-server`), threading enabled (the default), so each impression really is
  built and POSTed, by the library's worker threads, off the caller's thread. Also shown:
  the same client in `offline` mode (no events at all).
* official: `threading: {"enabled": False}`, and its NetworkClient replaced by an in-process
  stub answering 200 at once (as the conformance kit's `oracle.py --net stub`): network time is
  excluded from its figure. Background sends run inline (they are all stubbed). One process per
  settings file (the official SDK keeps process-wide singletons).

Timing: wall-clock per call (time.perf_counter_ns around `client.get_flag(key, context)`),
after a warm-up, GC paused; median and p90 in microseconds; each configuration runs
`--rounds` times (default 3) and the round with the lowest median is shown, for both SDKs
(the machine may be shared: other work only adds time). File descriptor 1 goes to /dev/null
while measuring (the native library writes its console log lines there; the official SDK's
prints go to an in-memory buffer). The "new user each call" column gives every call a user id
never seen before (no parsed-context reuse).

Usage: python bench_get_flag.py [--native-calls 50000] [--official-calls 1000] [--rounds 3] [--json OUT]

Benchmark matrix mode (make bench, bench/README.md): `--matrix bench/scenarios.json` runs every
scenario of that file through vwo_fme (events to the mock server at VWO_MOCK_URL, threading on)
and through the official SDK (one process per scenario, network stubbed as above), same
settings, feature keys (cycled) and context, log messages dropped by a no-op transport (vwo_fme)
or printed into an in-memory buffer (official); with the scenario's `storage`, an in-memory
storage connector. Timing as the Rust harness (benches/support.rs): batches of calls lasting at
least 0.5 ms, the median of the per-call wall time over the batches (p10, p90) and the median
per-call CPU time of the calling thread, for VWO_BENCH_MS (default 400) per scenario (official:
3x that; VWO_BENCH_OFFICIAL=0 leaves it out). Prints one JSON object per scenario and SDK on
standard output.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIX = REPO / "tests" / "fixtures" / "conformance"
SETTINGS = ["s1_rollout_only", "s4_segmentation"]


def calls_for(name):
    cases = json.loads((FIX / "cases" / (name + ".json")).read_text())
    return [(c["feature_key"], c["context"]) for c in cases["calls"] if c.get("op") == "get_flag"]


def percentile(vals, p):
    s = sorted(vals)
    k = (len(s) - 1) * p
    f = int(k)
    c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)


class _StdoutToDevnull:
    """Sends file descriptor 1 to /dev/null while measuring: the native library writes its
    console log lines there directly (the official SDK's prints go to an in-memory buffer)."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


ROUNDS = 3


def measure(get_flag, calls, n, warmup):
    """The best (lowest-median) of ROUNDS rounds: this machine is shared, and other work
    only ever adds time."""
    with _StdoutToDevnull():
        runs = [_measure(get_flag, calls, n, warmup if r == 0 else 0) for r in range(ROUNDS)]
    best = min(runs, key=lambda r: r["median_us"])
    best["rounds_median_us"] = [round(r["median_us"], 2) for r in runs]
    return best


def _measure(get_flag, calls, n, warmup):
    m = len(calls)
    for i in range(warmup):
        fk, ctx = calls[i % m]
        get_flag(fk, ctx)
    out = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for i in range(n):
            fk, ctx = calls[i % m]
            t = clock()
            get_flag(fk, ctx)
            out.append(clock() - t)
    finally:
        gc.enable()
    us = [x / 1000.0 for x in out]
    return {"n": n, "median_us": statistics.median(us), "p90_us": percentile(us, 0.9), "mean_us": statistics.fmean(us)}


# ----------------------------------------------------------------------------- vwo_fme
class MockServer:
    def __init__(self, settings_path):
        cli = Path(os.environ.get("VWO_FME_CLI") or REPO / "target" / "release" / "vwo-fme")
        self.proc = subprocess.Popen([str(cli), "mock-server", "--settings", str(settings_path), "--port", "0"],
                                     stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise SystemExit("mock server did not start (build it: make lib)")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


def bench_native(name, n, warmup):
    import vwo_fme

    settings_path = FIX / "settings" / (name + ".json")
    settings = json.loads(settings_path.read_text())
    calls = calls_for(name)
    res = {}
    server = MockServer(settings_path)
    try:
        client = vwo_fme.init({"sdk_key": settings["sdkKey"], "account_id": settings["accountId"],
                               "proxy_url": server.url})
        res["events"] = measure(client.get_flag, calls, n, warmup)
        # Every call a user never seen before: no parsed-context reuse at all.
        many = calls * (n // len(calls) + 1)
        unique = [(fk, dict(ctx, id="%s-u%d" % (ctx["id"], i))) for i, (fk, ctx) in enumerate(many)]
        res["unique"] = measure(client.get_flag, unique[:n], n, 0)
        delivered = client.flush_events(timeout=60)
        client.close()
        res["events"]["all_events_delivered"] = delivered
    finally:
        server.stop()
    client = vwo_fme.init({"sdk_key": settings["sdkKey"], "account_id": settings["accountId"],
                           "settings": settings, "offline": True})
    res["offline"] = measure(client.get_flag, calls, n, warmup)
    client.close()
    return res


# ----------------------------------------------------------------------------- official
def official_worker(name, n, warmup):
    """Runs in its own process: the official SDK with a stubbed network."""
    import io
    import contextlib

    settings = json.loads((FIX / "settings" / (name + ".json")).read_text())
    calls = calls_for(name)
    import vwo  # noqa: F401
    from wingify.packages.network_layer.client.network_client import NetworkClient
    from wingify.packages.network_layer.manager.network_manager import NetworkManager
    from wingify.packages.network_layer.models.response_model import ResponseModel

    def fake(self, request_model, method):
        resp = ResponseModel()
        resp.set_status_code(200)
        url = request_model.get_options()["url"]
        if method == "GET" and ("/server-side/v2-settings" in url or "/server-side/v2-pull" in url):
            resp.set_data(copy.deepcopy(settings))
        else:
            resp.set_data({})
        return resp

    NetworkClient.get = lambda self, rm: fake(self, rm, "GET")
    NetworkClient.post = lambda self, rm: fake(self, rm, "POST")
    NetworkManager.execute_in_background = lambda self, func: func()
    with contextlib.redirect_stdout(io.StringIO()):
        client = vwo.init({"sdk_key": settings["sdkKey"], "account_id": settings["accountId"],
                           "proxy_url": "http://127.0.0.1:9", "threading": {"enabled": False}})
        res = measure(client.get_flag, calls, n, warmup)
    res["sdk_version"] = _official_version()
    print(json.dumps(res))
    sys.stdout.flush()
    os._exit(0)  # the official SDK leaves non-daemon timers behind


def _official_version():
    try:
        from wingify.constants.Constants import Constants

        return Constants.SDK_VERSION
    except Exception:
        return "?"


def bench_official(name, n, warmup):
    try:
        import vwo  # noqa: F401
    except ImportError:
        return None
    out = subprocess.run([sys.executable, __file__, "--official-worker", name, "--official-calls", str(n),
                          "--warmup", str(warmup), "--rounds", str(ROUNDS)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- matrix mode
def _budget_s():
    return float(os.environ.get("VWO_BENCH_MS") or 400) / 1000.0


def time_batches(get_flag, keys, ctx, budget_s):
    """Median / p10 / p90 wall ns per call and median CPU ns per call (calling thread) over
    batches lasting >= 0.5 ms; `keys` cycled, `ctx` the same dict every call."""
    m = len(keys)
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    batch = 1
    while True:
        t = clock()
        for j in range(batch):
            get_flag(keys[j % m], ctx)
        if clock() - t >= 500_000 or batch >= 1 << 20:
            break
        batch *= 2
    wall, cpu = [], []
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        while time.perf_counter() - start < budget_s or len(wall) < 15:
            c = cpu_clock()
            t = clock()
            for j in range(batch):
                get_flag(keys[j % m], ctx)
            w = clock()
            wall.append((w - t) / batch)
            cpu.append((cpu_clock() - c) / batch)
    finally:
        gc.enable()
    wall.sort()
    cpu.sort()

    def pick(v, q):
        return v[int(round((len(v) - 1) * q))]

    return {"median_ns": pick(wall, 0.5), "p10_ns": pick(wall, 0.1), "p90_ns": pick(wall, 0.9),
            "cpu_ns": pick(cpu, 0.5), "cpu_p10_ns": pick(cpu, 0.1), "batches": len(wall), "batch": batch}


class _MemStorage:
    """In-memory storage connector (both SDKs: get(key, user_id) / set(record))."""

    def __init__(self):
        self.data = {}

    def get(self, key, user_id):
        return self.data.get((key, user_id))

    def set(self, value):
        self.data[(value.get("featureKey"), value.get("userId"))] = value
        return True


class _QuietTransport:
    level = "ERROR"

    def log(self, level, message):
        pass


def _scenarios(path):
    return json.loads(Path(path).read_text())["scenarios"]


def matrix(path):
    import vwo_fme

    url = os.environ.get("VWO_MOCK_URL")
    server = None if url else MockServer(REPO / "examples" / "settings.json")
    url = url or server.url
    budget = _budget_s()
    try:
        for sc in _scenarios(path):
            settings = json.loads((REPO / sc["settings"]).read_text())
            opts = {"sdk_key": "0123456789abcdef0123456789abcdef", "account_id": settings["accountId"],
                    "settings": settings, "proxy_url": url, "max_queue_size": 10_000_000,
                    "batch_event_data": {"events_per_request": 500, "request_time_interval": 60},
                    "logger": {"level": "error", "transport": _QuietTransport()}}
            if sc.get("storage"):
                opts["storage"] = _MemStorage()
            client = vwo_fme.init(opts)
            keys, ctx = sc["features"], copy.deepcopy(sc["context"])
            decisions = [client.get_flag(k, ctx).is_enabled() for k in keys]
            with _StdoutToDevnull():
                res = time_batches(client.get_flag, keys, ctx, budget)
            res["all_delivered"] = client.flush_events(timeout=120)
            client.close()
            _emit(dict({"kind": "latency", "layer": "python", "scenario": sc["name"], "decisions": decisions}, **res))
            if os.environ.get("VWO_BENCH_OFFICIAL") == "0":
                continue
            try:
                import vwo  # noqa: F401
            except ImportError:
                continue
            out = subprocess.run([sys.executable, __file__, "--matrix-official-worker", str(path), sc["name"]],
                                 capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode != 0 or not lines:
                sys.stderr.write("official SDK worker failed on %s: %s\n" % (sc["name"], out.stderr[-2000:]))
                continue
            _emit(json.loads(lines[-1]))
    finally:
        if server:
            server.stop()


def _emit(rec):
    print(json.dumps(rec), flush=True)
    extra = "" if rec.get("all_delivered", True) else "  NOT ALL EVENTS DELIVERED"
    sys.stderr.write("%-16s %-20s %10.0f ns (p10 %.0f, p90 %.0f; caller CPU %.0f)%s\n" % (
        rec["layer"], rec["scenario"], rec["median_ns"], rec["p10_ns"], rec["p90_ns"], rec["cpu_ns"], extra))


def official_matrix_worker(path, name):
    """One scenario through the official SDK, in its own process (process-wide singletons)."""
    import io
    import contextlib

    sc = next(s for s in _scenarios(path) if s["name"] == name)
    settings = json.loads((REPO / sc["settings"]).read_text())
    import vwo
    from wingify.packages.network_layer.client.network_client import NetworkClient
    from wingify.packages.network_layer.manager.network_manager import NetworkManager
    from wingify.packages.network_layer.models.response_model import ResponseModel

    def fake(self, request_model, method):
        resp = ResponseModel()
        resp.set_status_code(200)
        url = request_model.get_options()["url"]
        if method == "GET" and ("/server-side/v2-settings" in url or "/server-side/v2-pull" in url):
            resp.set_data(copy.deepcopy(settings))
        else:
            resp.set_data({})
        return resp

    NetworkClient.get = lambda self, rm: fake(self, rm, "GET")
    NetworkClient.post = lambda self, rm: fake(self, rm, "POST")
    NetworkManager.execute_in_background = lambda self, func: func()

    class Store(_MemStorage, vwo.StorageConnector):
        pass

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        opts = {"sdk_key": settings["sdkKey"], "account_id": settings["accountId"],
                "proxy_url": "http://127.0.0.1:9", "threading": {"enabled": False}}
        if sc.get("storage"):
            opts["storage"] = Store()
        client = vwo.init(opts)
        keys, ctx = sc["features"], copy.deepcopy(sc["context"])
        decisions = [client.get_flag(k, ctx).is_enabled() for k in keys]
        res = time_batches(client.get_flag, keys, ctx, 3 * _budget_s())
        buf.truncate(0)
    rec = dict({"kind": "latency", "layer": "official_python", "scenario": name, "decisions": decisions,
                "sdk_version": _official_version()}, **res)
    print(json.dumps(rec))
    sys.stdout.flush()
    os._exit(0)  # the official SDK leaves non-daemon timers behind


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--native-calls", type=int, default=50_000)
    ap.add_argument("--official-calls", type=int, default=1_000)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per configuration; the best median is kept")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--official-worker", help=argparse.SUPPRESS)
    ap.add_argument("--matrix", help="benchmark matrix mode: the scenarios file (bench/scenarios.json)")
    ap.add_argument("--matrix-official-worker", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.matrix_official_worker:
        official_matrix_worker(*a.matrix_official_worker)
        return
    if a.matrix:
        matrix(a.matrix)
        return
    global ROUNDS
    ROUNDS = max(1, a.rounds)
    if a.official_worker:
        official_worker(a.official_worker, a.official_calls, a.warmup if a.warmup is not None else 100)
        return

    rows = []
    for name in SETTINGS:
        native = bench_native(name, a.native_calls, a.warmup if a.warmup is not None else 5000)
        official = bench_official(name, a.official_calls, a.warmup if a.warmup is not None else 100)
        rows.append((name, native, official))

    import vwo_fme

    print("get_flag latency, microseconds per call (Python %s, %s, %d CPUs); vwo_fme %s (library %s)" % (
        platform.python_version(), platform.machine(), os.cpu_count(), vwo_fme.__version__, vwo_fme.LIBRARY_VERSION))
    print()
    hdr = ("| settings | vwo_fme median | vwo_fme p90 | vwo_fme, new user each call: median | vwo_fme offline median "
           "| official median | official p90 | ratio (median) |")
    print(hdr)
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, native, official in rows:
        ev, un, off = native["events"], native["unique"], native["offline"]
        if official:
            ratio = official["median_us"] / ev["median_us"]
            print("| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.0fx |" % (
                name, ev["median_us"], ev["p90_us"], un["median_us"], off["median_us"], official["median_us"],
                official["p90_us"], ratio))
        else:
            print("| %s | %.2f | %.2f | %.2f | %.2f | (not installed) | | |" % (
                name, ev["median_us"], ev["p90_us"], un["median_us"], off["median_us"]))
    print()
    print("vwo_fme: events to a loopback mock server, threading on (all events delivered: %s); "
          "official %s: threading off, network stubbed in-process." % (
              all(n["events"].get("all_events_delivered") for _, n, _ in rows),
              rows[0][2]["sdk_version"] if rows[0][2] else "-"))
    if a.json:
        Path(a.json).write_text(json.dumps({name: {"vwo_fme": n, "official": o} for name, n, o in rows}, indent=2))
    worst = max(n["events"]["median_us"] for _, n, _ in rows)
    ratios = [o["median_us"] / n["events"]["median_us"] for _, n, o in rows if o]
    ok = worst <= 10 and (not ratios or min(ratios) >= 200)
    print("target (<= 10 us and >= 200x): %s" % ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
