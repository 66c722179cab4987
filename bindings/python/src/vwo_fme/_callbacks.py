"""Python callbacks behind the native library's ``vwo_callbacks``.

The trampolines are module-level ``CFUNCTYPE`` objects (they live as long as the module);
``user_data`` is a small integer naming a :class:`Host` in ``_hosts``. A client's host stays
registered until the library calls ``free_user_data`` (after the client's threads stopped),
so a callback can never reach a collected Python object.

Every trampoline catches every exception: an exception raised by user code is logged
(through the client's logger: its transports, else the console) and never crosses into the
library. Callbacks may run on the library's worker threads; ctypes takes the GIL for them.
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _native
from ._native import FLUSH, FREE_USER_DATA, INTEGRATIONS, LOG, STORAGE_GET, STORAGE_SET
from .enums import LEVEL_NAMES, level_number

_pylog = logging.getLogger("vwo_fme")

_ANSI = ["\033[37m", "\033[94m", "\033[36m", "\033[33m", "\033[31m"]


def _utc_iso() -> str:
    # datetime.utcnow() is deprecated from 3.12 on; this gives the same text.
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()


class _ConsoleTransport:
    """A transport given as a dict: console output with its own level / prefix."""

    def __init__(self, config: Dict[str, Any]):
        self.config = config
        self.level = config.get("level", "error")

    def _out(self, message: str) -> None:
        print(message, flush=True)

    trace = debug = info = warn = error = _out


class LogRouter:
    """The client's logger as seen from Python: custom transports (official semantics) and
    the binding's own messages."""

    def __init__(self, logger_options: Optional[Dict[str, Any]]):
        cfg = dict(logger_options or {})
        self.config = cfg
        self.level = level_number(cfg.get("level", "error"))
        self.prefix = cfg.get("prefix", "VWO-SDK")
        self.ansi = bool(cfg.get("isAnsiColorEnabled", cfg.get("is_ansi_color_enabled", False)))
        fmt = cfg.get("dateTimeFormat")
        self.date_time_format: Callable[[], str] = fmt if callable(fmt) else _utc_iso
        raw = cfg.get("transports") or ([cfg["transport"]] if cfg.get("transport") else [])
        if not isinstance(raw, (list, tuple)):
            raw = [raw]
        self.transports: List[Tuple[Any, int]] = []
        for t in raw:
            if isinstance(t, dict):
                t = _ConsoleTransport(t)
            lvl = getattr(t, "level", None)
            self.transports.append((t, level_number(lvl, self.level) if lvl is not None else self.level))

    @property
    def custom(self) -> bool:
        return bool(self.transports)

    @property
    def min_level(self) -> int:
        return min((lvl for _, lvl in self.transports), default=self.level)

    def format(self, level: int, message: str, transport: Any = None) -> str:
        tcfg = getattr(transport, "config", None)
        tcfg = tcfg if isinstance(tcfg, dict) else {}
        prefix = tcfg.get("prefix", self.prefix)
        fmt = tcfg.get("dateTimeFormat", self.date_time_format)
        try:
            ts = fmt() if callable(fmt) else _utc_iso()
        except Exception:
            ts = _utc_iso()
        if self.ansi:
            return "%s[%s] %s \033[0m%s %s" % (_ANSI[level], LEVEL_NAMES[level], prefix, ts, message)
        return "[%s] %s %s %s" % (LEVEL_NAMES[level], prefix, ts, message)

    def dispatch(self, level: int, message: str) -> None:
        """A message from the library (or the binding) to the custom transports."""
        level = min(max(level, 0), 4)
        for t, lvl in self.transports:
            if level < lvl:
                continue
            try:
                log = getattr(t, "log", None)
                if callable(log):
                    log(LEVEL_NAMES[level], message)
                else:
                    m = getattr(t, LEVEL_NAMES[level].lower(), None)
                    if callable(m):
                        m(self.format(level, message, t))
            except Exception:
                # The transport itself failed: Python's logging is the only safe place left.
                _pylog.exception("vwo_fme: log transport %r raised while logging %r", t, message)

    def emit(self, level: int, message: str) -> None:
        """A message of the binding itself, through the same path as the library's."""
        if self.transports:
            self.dispatch(level, message)
        elif level >= self.level:
            print(self.format(level, message), flush=True)

    def error(self, message: str) -> None:
        self.emit(4, message)

    def callback_failed(self, what: str, exc: BaseException) -> None:
        self.emit(4, "%s raised %s: %s" % (what, type(exc).__name__, exc))
        _pylog.debug("vwo_fme: %s raised", what, exc_info=(type(exc), exc, exc.__traceback__))


class Host:
    """What one client's callbacks need."""

    def __init__(
        self,
        router: LogRouter,
        storage: Any = None,
        integrations: Optional[Callable[[Dict[str, Any]], Any]] = None,
        flush: Optional[Callable[[Optional[str], List[Dict[str, Any]]], Any]] = None,
    ):
        self.router = router
        self.storage = storage
        self.integrations = integrations
        self.flush = flush


_hosts: Dict[int, Host] = {}
_ids = itertools.count(1)
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # Another thread of the parent may have held the registry lock at fork time.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def register(host: Host) -> int:
    with _lock:
        i = next(_ids)
        _hosts[i] = host
    return i


def _host(ud: Optional[int]) -> Optional[Host]:
    h = _hosts  # None-safe during interpreter teardown
    return h.get(ud) if h is not None and ud is not None else None


def _dec(b: Optional[bytes]) -> str:
    return b.decode("utf-8", "replace") if b is not None else ""


def _json_default(o: Any) -> Any:
    return str(o)


@FREE_USER_DATA
def _free_user_data(ud):
    try:
        _hosts.pop(ud, None)
    except BaseException:
        pass


@STORAGE_GET
def _storage_get(ud, key, user_id, result):
    host = _host(ud)
    if host is None or host.storage is None:
        return 0
    try:
        record = host.storage.get(_dec(key), _dec(user_id))
        if record is None:
            return 0
        data = json.dumps(record, default=_json_default).encode("utf-8")
        _native.lib.vwo_storage_result_set_json(result, data, len(data))
        return 0
    except BaseException as e:  # noqa: BLE001 - nothing may cross into the library
        try:
            msg = "storage connector get(%r, %r) raised %s: %s" % (_dec(key), _dec(user_id), type(e).__name__, e)
            _native.lib.vwo_storage_result_set_error(result, msg.encode("utf-8", "replace"))
        except BaseException:
            pass
        return 1


@STORAGE_SET
def _storage_set(ud, record_json):
    host = _host(ud)
    if host is None or host.storage is None:
        return 0
    try:
        host.storage.set(json.loads(record_json))
        return 0
    except BaseException as e:  # noqa: BLE001
        try:
            host.router.callback_failed("storage connector set()", e)
        except BaseException:
            pass
        return 1


@LOG
def _log(ud, level, message):
    host = _host(ud)
    if host is None:
        return
    try:
        host.router.dispatch(level, _dec(message))
    except BaseException:  # noqa: BLE001
        pass


@INTEGRATIONS
def _integrations(ud, properties_json):
    host = _host(ud)
    if host is None or host.integrations is None:
        return
    try:
        host.integrations(json.loads(properties_json))
    except BaseException as e:  # noqa: BLE001
        try:
            host.router.callback_failed("integrations callback", e)
        except BaseException:
            pass


@FLUSH
def _flush(ud, error, events_json):
    host = _host(ud)
    if host is None or host.flush is None:
        return
    try:
        events = json.loads(events_json) if events_json else []
        host.flush(error.decode("utf-8", "replace") if error is not None else None, events)
    except BaseException as e:  # noqa: BLE001
        try:
            host.router.callback_failed("batch_event_data flush_callback", e)
        except BaseException:
            pass


def callbacks_struct(user_data: int, host: Host) -> _native.vwo_callbacks:
    """The ``vwo_callbacks`` for a registered host (NULL members for what it lacks)."""
    cb = _native.vwo_callbacks()
    cb.struct_size = _native.ctypes.sizeof(_native.vwo_callbacks)
    cb.user_data = user_data
    cb.free_user_data = _free_user_data
    if host.storage is not None:
        cb.storage_get = _storage_get
        cb.storage_set = _storage_set
    if host.router.custom:
        cb.log = _log
        cb.log_level = host.router.min_level
    else:
        cb.log_level = -1
    if host.integrations is not None:
        cb.integrations = _integrations
    if host.flush is not None:
        cb.flush = _flush
    return cb


__all__ = ["Host", "LogRouter", "register", "callbacks_struct"]
