"""Loading of the native library (``libvwo_fme.so``) and the ctypes declarations of its C ABI.

The library is looked up, in order:

1. ``VWO_FME_LIBRARY`` (environment variable): the path of a prebuilt library;
2. the copy installed inside this package by ``pip install``.

At import the ABI major version of the library is checked against the one this binding was
written for (``include/vwo_fme.h``); a mismatch raises ``ImportError`` with both versions.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_void_p,
)

#: The ABI major version this binding implements (``VWO_ABI_MAJOR`` in ``vwo_fme.h``).
ABI_MAJOR = 1
#: The lowest ABI minor version this binding needs.
ABI_MINOR = 0

# Status codes (vwo_status).
VWO_OK = 0
VWO_ERR_NULL_ARGUMENT = 1
VWO_ERR_INVALID_UTF8 = 2
VWO_ERR_INVALID_JSON = 3
VWO_ERR_INVALID_ARGUMENT = 4
VWO_ERR_TOO_LARGE = 5
VWO_ERR_INIT = 6
VWO_ERR_CLOSED = 7
VWO_ERR_NO_SETTINGS = 8
VWO_ERR_FAILED = 9
VWO_ERR_NOT_FOUND = 10
VWO_ERR_TYPE_MISMATCH = 11
VWO_ERR_BAD_HANDLE = 12
VWO_ERR_PANIC = 99

# Decision reasons (vwo_reason).
REASONS = {
    0: "evaluated",
    1: "stored_experiment",
    2: "stored_holdout",
    3: "holdout",
    4: "feature_not_found",
    5: "error",
}

LIBRARY_NAME = "libvwo_fme.so" if not sys.platform == "darwin" else "libvwo_fme.dylib"


# --------------------------------------------------------------------------------------------
# vwo_callbacks
# --------------------------------------------------------------------------------------------
FREE_USER_DATA = CFUNCTYPE(None, c_void_p)
STORAGE_GET = CFUNCTYPE(c_int32, c_void_p, c_char_p, c_char_p, c_void_p)
STORAGE_SET = CFUNCTYPE(c_int32, c_void_p, c_char_p)
LOG = CFUNCTYPE(None, c_void_p, c_int32, c_char_p)
INTEGRATIONS = CFUNCTYPE(None, c_void_p, c_char_p)
FLUSH = CFUNCTYPE(None, c_void_p, c_char_p, c_char_p)


class vwo_callbacks(Structure):  # noqa: N801 (the C name)
    _fields_ = [
        ("struct_size", c_uint32),
        ("user_data", c_void_p),
        ("free_user_data", FREE_USER_DATA),
        ("storage_get", STORAGE_GET),
        ("storage_set", STORAGE_SET),
        ("log", LOG),
        ("log_level", c_int32),
        ("integrations", INTEGRATIONS),
        ("flush", FLUSH),
    ]


class LibraryNotFound(ImportError):
    """The native library could not be found or loaded."""


def _candidates():
    env = os.environ.get("VWO_FME_LIBRARY")
    if env:
        return [("VWO_FME_LIBRARY", env)]
    here = os.path.dirname(os.path.abspath(__file__))
    return [("package", os.path.join(here, LIBRARY_NAME))]


def _load() -> ctypes.CDLL:
    errors = []
    for origin, path in _candidates():
        if not os.path.exists(path):
            errors.append("%s: %s does not exist" % (origin, path))
            continue
        try:
            # CDLL (not PyDLL): every call releases the GIL, so the library's worker threads
            # can run Python callbacks while a caller waits inside the library.
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append("%s: %s: %s" % (origin, path, e))
    raise LibraryNotFound(
        "vwo_fme: the native library could not be loaded (%s). Reinstall the package with "
        "`pip install ./bindings/python` (needs Rust/cargo), or set VWO_FME_LIBRARY to the path "
        "of a prebuilt %s." % ("; ".join(errors), LIBRARY_NAME)
    )


def _declare(lib: ctypes.CDLL) -> None:
    P = c_void_p
    sigs = {
        "vwo_version": (c_char_p, []),
        "vwo_abi_version": (c_uint32, []),
        "vwo_storage_result_set_json": (c_int32, [P, c_char_p, c_size_t]),
        "vwo_storage_result_set_error": (c_int32, [P, c_char_p]),
        "vwo_client_new": (c_int32, [c_char_p, POINTER(vwo_callbacks), POINTER(c_void_p)]),
        "vwo_client_close": (c_int32, [P, POINTER(c_int32)]),
        "vwo_client_free": (None, [P]),
        "vwo_track_event": (c_int32, [P, c_char_p, c_char_p, c_char_p, POINTER(c_int32)]),
        "vwo_set_attribute": (c_int32, [P, c_char_p, c_char_p, c_char_p]),
        "vwo_set_attributes": (c_int32, [P, c_char_p, c_char_p]),
        "vwo_flush_events": (c_int32, [P, c_uint32, POINTER(c_int32)]),
        "vwo_update_settings": (c_int32, [P, c_char_p, c_int32]),
        "vwo_set_alias": (c_int32, [P, c_char_p, c_char_p, POINTER(c_int32)]),
        "vwo_get_uuid": (c_int32, [c_char_p, c_char_p, POINTER(c_void_p)]),
        "vwo_context_new": (c_int32, [c_char_p, POINTER(c_void_p)]),
        "vwo_context_free": (None, [P]),
        "vwo_last_error_message": (c_char_p, []),
        "vwo_status_name": (c_char_p, [c_int32]),
        "vwo_get_flag": (c_int32, [P, c_char_p, c_char_p, POINTER(c_void_p)]),
        "vwo_get_flag_ctx": (c_int32, [P, c_char_p, P, POINTER(c_void_p)]),
        "vwo_flag_is_enabled": (c_int32, [P]),
        "vwo_flag_reason": (c_int32, [P]),
        "vwo_flag_session_id": (c_int64, [P]),
        "vwo_flag_uuid": (c_char_p, [P]),
        "vwo_flag_get_bool": (c_int32, [P, c_char_p, c_int32, POINTER(c_int32)]),
        "vwo_flag_get_int": (c_int32, [P, c_char_p, c_int64, POINTER(c_int64)]),
        "vwo_flag_get_double": (c_int32, [P, c_char_p, c_double, POINTER(c_double)]),
        "vwo_flag_variable_json": (c_int32, [P, c_char_p, POINTER(c_void_p)]),
        "vwo_flag_variables_json": (c_int32, [P, POINTER(c_void_p)]),
        "vwo_flag_free": (None, [P]),
        "vwo_string_free": (None, [P]),
    }
    for name, (restype, argtypes) in sigs.items():
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = argtypes


def _check_abi(lib: ctypes.CDLL) -> None:
    v = int(lib.vwo_abi_version())
    major, minor = v >> 16, v & 0xFFFF
    if major != ABI_MAJOR or minor < ABI_MINOR:
        raise ImportError(
            "vwo_fme: the native library %s has C ABI version %d.%d, but this binding needs "
            "%d.x (x >= %d). Install matching versions of the binding and the library (or "
            "point VWO_FME_LIBRARY at a matching build)." % (lib._name, major, minor, ABI_MAJOR, ABI_MINOR)
        )


lib = _load()
_check_abi(lib)
_declare(lib)

#: Version of the native library, e.g. ``"0.1.0"``.
LIBRARY_VERSION: str = lib.vwo_version().decode()
#: ABI version of the native library as ``(major, minor)``.
ABI_VERSION = (int(lib.vwo_abi_version()) >> 16, int(lib.vwo_abi_version()) & 0xFFFF)


def last_error() -> str:
    """The message of the last failed library call on this thread."""
    m = lib.vwo_last_error_message()
    return m.decode("utf-8", "replace") if m else ""


def status_name(status: int) -> str:
    return lib.vwo_status_name(status).decode()


def take_string(p: c_void_p) -> str | None:
    """Copies and frees a string the library returned (``char **`` out-parameter)."""
    if not p.value:
        return None
    try:
        return ctypes.string_at(p.value).decode("utf-8")
    finally:
        lib.vwo_string_free(p.value)
