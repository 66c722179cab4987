#!/usr/bin/env python3
"""The benchmark matrix (`make bench`): every layer on every scenario, in one run.

Runs, in this order, each in its own process:

* the calibration workload (benches/matrix.rs `calib`: the machine's speed), at the start of
  every round and at the end;
* the Rust layers (benches/matrix.rs): decision core, Rust client (impressions queued for a
  loopback mock server), scaling (10 / 100 / 1000 features, 1 MB install), 1 vs 2 threads,
  settings swap every 10 ms under load;
* the C ABI (bench/cabi_matrix.c): vwo_get_flag with a JSON context, vwo_get_flag_ctx with a
  reused vwo_context;
* the bindings' own bench programs in matrix mode: Python (and the official
  vwo-fme-python-sdk), Go, Node (and the official vwo-fme-node-sdk), Ruby.

The per-scenario layers run in `--rounds` rounds (default 5; the official SDKs in the first 2); each (layer, scenario) keeps its
best round (report.merge_rounds), the calibration its fastest run: another process on a shared
machine only ever adds time. Scaling runs in the first 2 rounds (the fastest of each figure
kept), threads and swap once, in the first round.

Every layer reads bench/scenarios.json (same settings files, feature keys, contexts); our
layers queue their impressions for a `vwo-fme mock-server` on 127.0.0.1 started here, the
official SDKs run with their network stubbed in-process. A layer that cannot run (toolchain
missing, preparation failed) is reported as "skipped (reason)".

Writes OUT/results.json (every record, the derived rows that `make bench-check` compares, the
machine), OUT/results.md (the tables), OUT/logs/*.log (each layer's own output).

    python3 bench/matrix.py [--out build/bench] [--quick] [--only rust,c,python,go,node,ruby]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402  (bench/report.py: rows and tables from the records)

SCENARIOS = HERE / "scenarios.json"
LAYERS = ["rust", "c", "python", "go", "node", "ruby"]
OFFICIAL_ROUNDS = 2


class Skip(Exception):
    """A layer that cannot run here; the message is the reason."""


def log(msg: str) -> None:
    sys.stderr.write("[bench] %s\n" % msg)
    sys.stderr.flush()


def tail(text: str, n: int = 3) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    return " / ".join(lines[-n:])[:300]


def run(cmd, *, cwd=ROOT, env=None, log_file: Path | None = None, check=True, timeout=3600):
    """Runs `cmd`; returns its stdout. Standard error goes to `log_file` (appended)."""
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if log_file:
        with open(log_file, "a") as f:
            f.write("$ %s\n%s\n" % (" ".join(map(str, cmd)), r.stderr))
    if check and r.returncode != 0:
        raise RuntimeError("%s exited with %d: %s" % (" ".join(map(str, cmd[:3])), r.returncode,
                                                      tail(r.stderr) or tail(r.stdout)))
    return r.stdout


def records(stdout: str):
    out = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and "kind" in rec:
                out.append(rec)
    return out


def make(target: str, log_file: Path) -> None:
    """`make TARGET` (a layer's preparation); raises Skip with the reason on failure."""
    try:
        run([os.environ.get("MAKE", "make"), "--no-print-directory", "-s", target], log_file=log_file)
    except RuntimeError as e:
        raise Skip("make %s failed: %s" % (target, e))


def need(tool: str, what: str | None = None) -> str:
    path = shutil.which(tool)
    if not path:
        raise Skip("%s not found on PATH" % (what or tool))
    return path


@contextmanager
def mock_server():
    """A `vwo-fme mock-server` on 127.0.0.1 (a free port) for the duration of the block."""
    bin_ = ROOT / "target" / "release" / "vwo-fme"
    p = subprocess.Popen([str(bin_), "mock-server", "--settings", str(ROOT / "examples" / "settings.json"),
                          "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = (p.stdout.readline() or "").strip().split()
        url = next((w for w in url if w.startswith("http://127.0.0.1")), None)
        if not url:
            raise RuntimeError("the mock server did not start")
        yield url
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()


# ---------------------------------------------------------------------------------- layers

class Bench:
    def __init__(self, out: Path, quick: bool):
        self.out = out
        self.quick = quick
        self.logs = out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        for f in self.logs.glob("*.log"):
            f.unlink()
        self.ms = os.environ.get("VWO_BENCH_MS") or ("100" if quick else "400")
        self.env = {"VWO_BENCH_MS": self.ms, "BENCH_QUICK": "1" if quick else "0"}
        self.records: list[dict] = []
        self.status: dict[str, str] = {}
        self.rust_bin: str | None = None

    def add(self, recs, **extra):
        for r in recs:
            r.update(extra)
            self.records.append(r)

    # ---- Rust
    def rust_binary(self) -> str:
        if self.rust_bin:
            return self.rust_bin
        out = run(["cargo", "bench", "--bench", "matrix", "--no-run", "--message-format=json"],
                  log_file=self.logs / "rust.log")
        for line in out.splitlines():
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if m.get("reason") == "compiler-artifact" and m.get("executable") and \
                    m.get("target", {}).get("name") == "matrix":
                self.rust_bin = m["executable"]
        if not self.rust_bin:
            raise RuntimeError("cargo bench --no-run did not report the matrix executable")
        return self.rust_bin

    def calibration(self, when: str):
        out = run([self.rust_binary(), "--json", "calib"], env=self.env, log_file=self.logs / "rust.log")
        self.add(records(out), when=when)

    def rust(self, rnd=0):
        # Scaling in the first 2 rounds (each row keeps the fastest), threads and swap once.
        sections = ["core", "client"] + (["scale"] if rnd < 2 else []) + (["threads", "swap"] if rnd == 0 else [])
        out = run([self.rust_binary(), "--json"] + sections, env=self.env, log_file=self.logs / "rust.log",
                  timeout=7200)
        self.add(records(out))

    # ---- C ABI
    def c(self):
        need(os.environ.get("CC") or "gcc", "a C compiler (gcc)")
        make("bench-cabi", self.logs / "c.log")
        exe = ROOT / "build" / "bench" / "cabi_matrix"
        for sc in json.loads(SCENARIOS.read_text())["scenarios"]:
            settings = json.loads((ROOT / sc["settings"]).read_text())
            with mock_server() as url:
                out = run([str(exe), sc["name"], str(ROOT / sc["settings"]), str(settings["accountId"]),
                           "1" if sc.get("storage") else "0", json.dumps(sc["context"])] + sc["features"],
                          env=dict(self.env, VWO_MOCK_URL=url), log_file=self.logs / "c.log")
            self.add(records(out))

    # ---- bindings
    def python(self):
        need("python3")
        make("python-install", self.logs / "python.log")
        py = str(ROOT / "build" / "python-venv" / "bin" / "python")
        official = "ok"
        if subprocess.run([py, "-c", "import vwo"], capture_output=True).returncode != 0:
            try:
                run([py, "-m", "pip", "install", "--quiet", "vwo-fme-python-sdk==1.65.0"],
                    log_file=self.logs / "python.log")
            except RuntimeError as e:
                official = "skipped (pip install vwo-fme-python-sdk==1.65.0 failed: %s)" % e
        self.status["official_python"] = official
        with mock_server() as url:
            out = run([py, "bindings/python/bench/bench_get_flag.py", "--matrix", str(SCENARIOS)],
                      env=dict(self.env, VWO_MOCK_URL=url), log_file=self.logs / "python.log")
        self.add(records(out))

    def go(self):
        need("go")
        make("go-lib", self.logs / "go.log")
        with mock_server() as url:
            out = run(["go", "test", "-run", "^TestMatrixBench$", "-count=1", "-v", "."], cwd=ROOT / "bindings" / "go",
                      env=dict(self.env, VWO_MOCK_URL=url, VWO_BENCH_SCENARIOS=str(SCENARIOS), GOFLAGS="-buildvcs=false"),
                      log_file=self.logs / "go.log")
        self.add(records(out))

    def node(self):
        need("node")
        need("npm")
        make("node-deps", self.logs / "node.log")
        lib = ROOT / "target" / "release"
        official = "ok" if (ROOT / "bindings/node/node_modules/vwo-fme-node-sdk").is_dir() else \
            "skipped (vwo-fme-node-sdk is not in bindings/node/node_modules: npm ci)"
        self.status["official_node"] = official
        with mock_server() as url:
            out = run(["node", "--expose-gc", "bench/getflag.js", "--matrix", str(SCENARIOS)], cwd=ROOT / "bindings" / "node",
                      env=dict(self.env, VWO_MOCK_URL=url, VWO_FME_LIBRARY=str(lib / "libvwo_fme.so"),
                               VWO_FME_BIN=str(lib / "vwo-fme")), log_file=self.logs / "node.log")
        self.add(records(out))

    def ruby(self):
        need("ruby")
        if subprocess.run(["ruby", "-rffi", "-e", "1"], capture_output=True).returncode != 0:
            raise Skip("the ffi gem is not installed (.ci/setup.d/ruby.sh)")
        make("ruby-lib", self.logs / "ruby.log")
        with mock_server() as url:
            out = run(["ruby", "-Ilib", "bench/get_flag.rb", "--matrix", str(SCENARIOS)], cwd=ROOT / "bindings" / "ruby",
                      env=dict(self.env, VWO_MOCK_URL=url), log_file=self.logs / "ruby.log")
        self.add(records(out))


# ---------------------------------------------------------------------------------- machine

def machine() -> dict:
    def cmd(*c):
        try:
            return subprocess.run(c, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    model = ""
    for line in cmd("lscpu").splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    virt = ""
    for line in cmd("lscpu").splitlines():
        if line.startswith("Hypervisor vendor:"):
            virt = line.split(":", 1)[1].strip()
    return {
        "nproc": int(cmd("nproc") or os.cpu_count() or 0),
        "cpu_model": model,
        "hypervisor": virt,
        "mem_mb": mem_kb // 1024,
        "os": "%s %s" % (platform.system(), platform.release()),
        "rustc": cmd("rustc", "--version"),
        "python": cmd(str(ROOT / "build/python-venv/bin/python"), "--version") or platform.python_version(),
        "go": cmd("go", "version"),
        "node": cmd("node", "--version"),
        "ruby": cmd("ruby", "--version"),
        "cc": (cmd(os.environ.get("CC") or "gcc", "--version").splitlines() or [""])[0],
    }


def git_commit() -> str:
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return c + ("+dirty" if dirty else "")
    except OSError:
        return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "build" / "bench"))
    ap.add_argument("--quick", action="store_true", help="short measurements (a smoke run, not a baseline)")
    ap.add_argument("--only", help="comma-separated layers to run (default: all): " + ",".join(LAYERS))
    ap.add_argument("--rounds", type=int, help="rounds of the per-scenario layers; each row keeps its best round "
                                               "(default 5, 1 with --quick)")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(a.only.split(",")) if a.only else set(LAYERS)

    b = Bench(out, a.quick or os.environ.get("BENCH_QUICK", "0") not in ("", "0"))
    rounds = max(1, a.rounds if a.rounds is not None else (1 if b.quick else 5))
    started = time.time()
    load_before = os.getloadavg()
    log("machine: %d CPUs, load %.2f %.2f %.2f; %d round(s)" % ((os.cpu_count() or 0,) + load_before + (rounds,)))
    for rnd in range(rounds):
        # The official SDKs (slow: seconds per scenario) run in the first OFFICIAL_ROUNDS only.
        b.env["VWO_BENCH_OFFICIAL"] = "1" if rnd < OFFICIAL_ROUNDS else "0"
        log("calibration (round %d)" % (rnd + 1))
        b.calibration("round%d" % (rnd + 1))
        for layer in LAYERS:
            if layer not in only:
                b.status[layer] = "skipped (not selected: --only)"
                continue
            if rnd > 0 and b.status.get(layer) != "ok":
                continue
            log("round %d, layer %s" % (rnd + 1, layer))
            t = time.time()
            try:
                if layer == "rust":
                    b.rust(rnd)
                else:
                    getattr(b, layer)()
                status = "ok"
            except Skip as e:
                status = "skipped (%s)" % e
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                if layer == "rust":
                    raise
                status = "failed (%s)" % e
            if rnd == 0:
                b.status[layer] = status
            elif status != "ok":
                log("round %d of %s: %s (the first round's figures stay)" % (rnd + 1, layer, status))
            log("round %d, layer %s: %s (%.0f s)" % (rnd + 1, layer, status, time.time() - t))
    log("calibration (end)")
    b.calibration("end")

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "quick": b.quick,
        "budget_ms": int(b.ms),
        "rounds": rounds,
        "seconds": round(time.time() - started),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
    }
    result = report.build(meta, b.status, report.merge_rounds(b.records))
    (out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "results.md").write_text(report.markdown(result))
    log("wrote %s and %s (%d s)" % (out / "results.json", out / "results.md", meta["seconds"]))
    sys.stdout.write(report.markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
