"""Shared fixtures: repository paths, the project's loopback mock server (`vwo-fme
mock-server`), option builders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "conformance"
EXAMPLE_SETTINGS = REPO / "examples" / "settings.json"


def cli_path() -> Path:
    p = os.environ.get("VWO_FME_CLI")
    if p:
        return Path(p)
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    return Path(target) / "release" / "vwo-fme"


class MockServer:
    """`vwo-fme mock-server`: serves a settings file on 127.0.0.1 and appends every request
    it receives to a JSONL log (method, path, raw_query, query, headers, body)."""

    def __init__(self, settings_path: Path, log_path: Path):
        self.log_path = log_path
        log_path.write_text("")
        self.proc = subprocess.Popen(
            [str(cli_path()), "mock-server", "--settings", str(settings_path), "--port", "0", "--log", str(log_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError("mock server did not start: %r %s" % (line, err))
        self.url = line
        self._f = open(log_path, "r", encoding="utf-8")
        self._partial = ""

    def take(self) -> list:
        """Requests logged since the last call."""
        data = self._partial + self._f.read()
        lines = data.split("\n")
        self._partial = lines.pop()  # an incomplete last line waits for the next call
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for(self, n: int, timeout: float = 10.0) -> list:
        got = []
        deadline = time.time() + timeout
        while len(got) < n and time.time() < deadline:
            got.extend(self.take())
            if len(got) < n:
                time.sleep(0.01)
        return got

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in (self.proc.stdout, self.proc.stderr):
            if s:
                s.close()
        f = getattr(self, "_f", None)
        if f:
            f.close()


@pytest.fixture
def mock_server(tmp_path):
    servers = []

    def start(settings_path: Path = EXAMPLE_SETTINGS) -> MockServer:
        s = MockServer(Path(settings_path), tmp_path / ("requests%d.jsonl" % len(servers)))
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def example_settings() -> dict:
    return json.loads(EXAMPLE_SETTINGS.read_text())


@pytest.fixture
def offline_options(example_settings):
    """Options for a client that never touches the network."""

    def make(**extra):
        o = {
            "sdk_key": example_settings["sdkKey"],
            "account_id": example_settings["accountId"],
            "settings": example_settings,
            "offline": True,
        }
        o.update(extra)
        return o

    return make


def pytest_report_header(config):
    import vwo_fme

    return "vwo_fme %s from %s (library %s, ABI %s)" % (
        vwo_fme.__version__,
        os.path.dirname(vwo_fme.__file__),
        vwo_fme.LIBRARY_VERSION,
        "%d.%d" % vwo_fme.ABI_VERSION,
    )


_ = sys
