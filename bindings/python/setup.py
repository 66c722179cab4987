"""Build hooks: put the native library inside the package.

``pip install ./bindings/python`` runs ``cargo build --release --lib`` at the root of the
vwo-fme repository (found by walking up from this file) and copies ``libvwo_fme.so`` into
the ``vwo_fme`` package. Rust (cargo) is therefore a prerequisite, unless the environment
variable ``VWO_FME_LIBRARY`` names a prebuilt library, which is copied instead.

Everything else (metadata, packages) is in pyproject.toml.
"""

import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:  # setuptools >= 70.1
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = "libvwo_fme.dylib" if sys.platform == "darwin" else "libvwo_fme.so"


def _repo_root():
    d = HERE
    while True:
        cargo = os.path.join(d, "Cargo.toml")
        if os.path.exists(cargo):
            with open(cargo, encoding="utf-8") as f:
                if 'name = "vwo-fme"' in f.read():
                    return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _cargo():
    c = os.environ.get("CARGO") or shutil.which("cargo")
    if c:
        return c
    home = os.path.join(os.path.expanduser("~"), ".cargo", "bin", "cargo")
    return home if os.path.exists(home) else None


def native_library():
    """Path of the library to ship: VWO_FME_LIBRARY, else a fresh cargo build."""
    prebuilt = os.environ.get("VWO_FME_LIBRARY")
    if prebuilt:
        if not os.path.isfile(prebuilt):
            raise SystemExit("VWO_FME_LIBRARY=%s: no such file" % prebuilt)
        return prebuilt
    root = _repo_root()
    if root is None:
        raise SystemExit(
            "vwo-fme: the Rust sources (Cargo.toml of the vwo-fme repository) were not found above %s. "
            "Install from a checkout of the repository (pip >= 21.3 builds in place), or set "
            "VWO_FME_LIBRARY to a prebuilt %s." % (HERE, LIB)
        )
    cargo = _cargo()
    if cargo is None:
        raise SystemExit(
            "vwo-fme: building the native library needs Rust (cargo; https://rustup.rs), "
            "or set VWO_FME_LIBRARY to a prebuilt %s." % LIB
        )
    cmd = [cargo, "build", "--release", "--lib"]
    print("vwo-fme: running %s in %s" % (" ".join(cmd), root), flush=True)
    subprocess.check_call(cmd, cwd=root)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
    if not os.path.isabs(target):
        target = os.path.join(root, target)
    path = os.path.join(target, "release", LIB)
    if not os.path.isfile(path):
        raise SystemExit("vwo-fme: cargo finished but %s is missing" % path)
    return path


class BuildPyWithNative(build_py):
    def run(self):
        super().run()
        src = native_library()
        dst_dir = os.path.join(self.build_lib, "vwo_fme")
        os.makedirs(dst_dir, exist_ok=True)
        dst = os.path.join(dst_dir, LIB)
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)
        _strip_debug_info(dst)
        print("vwo-fme: packaged %s" % src, flush=True)


def _strip_debug_info(path):
    """The release profile keeps line tables (for backtraces); the packaged copy does not
    need them (30 MB -> 6 MB). Best effort: skipped without `strip` or with VWO_FME_NO_STRIP."""
    strip = shutil.which("strip")
    if strip is None or os.environ.get("VWO_FME_NO_STRIP") or sys.platform == "darwin":
        return
    try:
        subprocess.check_call([strip, "--strip-debug", path])
    except (OSError, subprocess.CalledProcessError) as e:
        print("vwo-fme: strip failed (%s); packaging the library as built" % e, flush=True)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: platform-specific, but not tied to a CPython ABI
    (ctypes only)."""

    def has_ext_modules(self):
        return True


class BdistWheelAnyPython(bdist_wheel):
    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPyWithNative, "bdist_wheel": BdistWheelAnyPython},
)
