"""The native layer: library lookup (VWO_FME_LIBRARY), the ABI version check, packaging."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import vwo_fme
from vwo_fme import _native
from conftest import REPO

BUILT = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target") / "release" / "libvwo_fme.so"


def run_py(code: str, **env) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=60)


def test_the_installed_package_carries_the_library_and_py_typed():
    pkg = Path(vwo_fme.__file__).parent
    assert (pkg / _native.LIBRARY_NAME).is_file()
    assert (pkg / "py.typed").is_file()
    assert vwo_fme.ABI_VERSION == (1, 0) or vwo_fme.ABI_VERSION[0] == _native.ABI_MAJOR


def test_abi_major_mismatch_is_refused_with_a_clear_message():
    class FakeLib:
        _name = "/somewhere/libvwo_fme.so"

        def __init__(self, v):
            self.v = v

        def vwo_abi_version(self):
            return self.v

    _native._check_abi(FakeLib((1 << 16) | 0))
    _native._check_abi(FakeLib((1 << 16) | 7))  # newer minor: additions only
    with pytest.raises(ImportError) as e:
        _native._check_abi(FakeLib((2 << 16) | 0))
    msg = str(e.value)
    assert "ABI version 2.0" in msg and "needs 1.x" in msg and "/somewhere/libvwo_fme.so" in msg


def test_vwo_fme_library_points_to_a_prebuilt_library():
    if not BUILT.is_file():
        pytest.skip("no cargo build at %s" % BUILT)
    r = run_py("import vwo_fme, vwo_fme._native as n; print(n.lib._name)", VWO_FME_LIBRARY=str(BUILT))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(BUILT)


def test_a_missing_library_is_a_clear_import_error():
    r = run_py("import vwo_fme", VWO_FME_LIBRARY="/nonexistent/libvwo_fme.so")
    assert r.returncode != 0
    assert "VWO_FME_LIBRARY" in r.stderr and "/nonexistent/libvwo_fme.so does not exist" in r.stderr


def test_wheel_from_a_prebuilt_library(tmp_path):
    """`pip wheel` with VWO_FME_LIBRARY: no cargo run, the library inside the package, a
    py3-none-<platform> wheel (ctypes: any Python 3)."""
    if not BUILT.is_file():
        pytest.skip("no cargo build at %s" % BUILT)
    try:
        import setuptools
        import wheel  # noqa: F401
    except ImportError:
        pytest.skip("setuptools/wheel not installed")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("setuptools %s < 77 (pyproject.toml's build requirement)" % setuptools.__version__)
    env = dict(os.environ, VWO_FME_LIBRARY=str(BUILT), CARGO="/nonexistent/cargo")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(REPO / "bindings" / "python")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = list(tmp_path.glob("vwo_fme-*.whl"))
    assert len(wheels) == 1, wheels
    assert "-py3-none-" in wheels[0].name
    names = zipfile.ZipFile(wheels[0]).namelist()
    for f in ("vwo_fme/__init__.py", "vwo_fme/client.py", "vwo_fme/py.typed", "vwo_fme/libvwo_fme.so"):
        assert f in names, f
