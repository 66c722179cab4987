"""The client: ``init()``, ``VWOClient`` and the ``GetFlag`` result, over the C ABI."""

from __future__ import annotations

import atexit
import copy
import ctypes
import enum
import json
import os
import threading
import time
import weakref
from ctypes import byref, c_int32, c_void_p
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from . import _callbacks, _native
from ._native import (
    VWO_ERR_CLOSED,
    VWO_ERR_FAILED,
    VWO_ERR_INIT,
    VWO_ERR_NO_SETTINGS,
    VWO_OK,
    lib,
)

__all__ = ["init", "getUUID", "VWOClient", "GetFlag", "VWOClientClosedError"]

#: Default wait of ``flush_events()`` and of the flush done by ``close()`` callers.
DEFAULT_FLUSH_TIMEOUT_S = 10.0

# Statuses after which the library itself has already logged the problem.
_LOGGED_BY_LIBRARY = {VWO_ERR_FAILED, VWO_ERR_NO_SETTINGS}


class VWOClientClosedError(RuntimeError):
    """An API method was called on a client after ``close()`` (or after leaving its
    ``with`` block). The official SDK has no close; this binding raises rather than
    silently returning fallback values."""


def _json_default(o: Any) -> Any:
    if isinstance(o, enum.Enum):
        return o.value
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


_encode = json.JSONEncoder(separators=(",", ":"), default=_json_default).encode

try:  # the C encoder, made once (JSONEncoder.encode builds one per call)
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
    from json.encoder import encode_basestring_ascii as _esc

    _c_encoder = _c_make_encoder(None, _json_default, _esc, None, ":", ",", False, False, True)

    def _encode_fast(o: Any, _enc: Any = _c_encoder, _join: Any = "".join) -> bytes:
        return _join(_enc(o, 0)).encode("ascii")

except (ImportError, TypeError):  # pragma: no cover - pure-Python json

    def _encode_fast(o: Any, _enc: Any = None, _join: Any = None) -> bytes:
        return _encode(o).encode("utf-8")


def _options_default(o: Any) -> Any:
    if isinstance(o, enum.Enum):
        return o.value
    if callable(o):
        return "function"
    return type(o).__name__


_KEEP_LOGGER_KEYS = ("level", "prefix", "isAnsiColorEnabled", "is_ansi_color_enabled", "name", "requestId")
# Keys of the official SDK that are Python objects or internal hooks, not options JSON.
_DROP_KEYS = ("storage", "integrations", "vwoBuilder", "wingifyBuilder", "segmentation", "is_via_vwo")


def _translate_options(options: Mapping[str, Any]) -> Tuple[bytes, _callbacks.Host]:
    """Official-SDK options -> (options JSON for ``vwo_client_new``, callbacks host)."""
    opts = dict(options)
    storage = opts.get("storage")
    if storage is not None and not (
        callable(getattr(storage, "get", None)) and callable(getattr(storage, "set", None))
    ):
        storage = None
    integ = opts.get("integrations")
    callback = None
    if isinstance(integ, Mapping):
        callback = integ.get("callback")
    elif callable(integ):
        callback = integ
    if callback is not None and not callable(callback):
        callback = None
    logger = opts.get("logger")
    router = _callbacks.LogRouter(dict(logger) if isinstance(logger, Mapping) else None)
    if isinstance(logger, Mapping):
        opts["logger"] = {k: logger[k] for k in _KEEP_LOGGER_KEYS if k in logger}
    flush = None
    batch = opts.get("batch_event_data")
    if isinstance(batch, Mapping):
        b = dict(batch)
        flush = b.pop("flush_callback", None) or b.pop("flushCallback", None)
        if flush is not None and not callable(flush):
            flush = None
        opts["batch_event_data"] = b
    for k in _DROP_KEYS:
        opts.pop(k, None)
    text = json.dumps(opts, default=_options_default, separators=(",", ":"))
    host = _callbacks.Host(router, storage=storage, integrations=callback, flush=flush)
    return text.encode("utf-8"), host


class _InitError(Exception):
    pass


_get_flag = lib.vwo_get_flag
_get_flag_ctx = lib.vwo_get_flag_ctx
_context_new = lib.vwo_context_new

#: Parsed contexts kept per thread, keyed by their JSON: a user's context is usually
#: evaluated for several flags in a row (one request), and a handle skips the JSON parse.
CONTEXT_CACHE_SIZE = 32


class _ContextCache(dict):
    """JSON bytes -> ``vwo_context`` handle (0: seen once, not parsed yet), for one thread
    only, so no handle is freed while another thread uses it. A context gets a handle the
    second time it is seen (a first sighting goes through the plain JSON call, so users seen
    once cost nothing extra). Oldest entries go first; all are freed with the thread."""

    __slots__ = ("out", "ref", "busy")

    def __init__(self) -> None:
        super().__init__()
        self.out = c_void_p()  # this thread's flag out-parameter, and a reference to it
        self.ref = byref(self.out)
        # True while this thread is inside a get_flag that uses the cache: a callback (or a
        # signal handler) calling get_flag again on this thread must not evict, and so free,
        # the handle the outer call is using.
        self.busy = False

    def __del__(self, _free=lib.vwo_context_free):
        for h in self.values():
            if h:
                try:
                    _free(h)
                except Exception:
                    pass
        self.clear()

    def handle(self, ctx: bytes, seen: Optional[int], _new=_context_new, _free=lib.vwo_context_free) -> int:
        """A handle for a context not in the cache with one (0 when none is made now)."""
        h = 0
        if seen is not None:  # second sighting: parse once, reuse from now on
            p = c_void_p()
            if _new(ctx, byref(p)) == VWO_OK and p.value:
                h = p.value
            del self[ctx]
        if len(self) >= CONTEXT_CACHE_SIZE:
            old = self.pop(next(iter(self)))
            if old:
                _free(old)
        self[ctx] = h
        return h


_tls = threading.local()

_live_clients: "weakref.WeakSet[VWOClient]" = weakref.WeakSet()


def _close_all_at_exit() -> None:
    # Joins the library's threads (and delivers pending events) before the interpreter goes
    # away, so no callback can run into a finalising interpreter.
    for c in list(_live_clients):
        try:
            c.close()
        except Exception:
            pass


atexit.register(_close_all_at_exit)


def _after_fork_in_child() -> None:
    # The library restarts its event threads in a child at the first event, but not the
    # settings poller (see README, "Processes"): say so once, at fork time.
    for c in list(_live_clients):
        try:
            if c._polls and not c._closed:
                c._router.emit(
                    4,
                    "vwo_fme: this VWO client was created before fork(); it keeps deciding and sending "
                    "events in this process (pid %d), but its settings are no longer polled here. "
                    "Create clients after fork (gunicorn post_fork, multiprocessing initializer)." % os.getpid(),
                )
        except Exception:
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class GetFlag:
    """The result of ``get_flag``: ``is_enabled()``, ``get_variables()``,
    ``get_variable(key, default=None)``, ``get_uuid()``, ``get_session_id()``.

    It holds the library's flag handle (released when the object is collected) and reads
    from it on demand; it stays valid after the client is closed."""

    __slots__ = ("_h", "_enabled", "_vars")

    def __init__(self, handle: Optional[int]):
        self._h = handle
        self._enabled: Optional[bool] = None
        self._vars: Optional[List[Dict[str, Any]]] = None

    def __del__(self, _free=lib.vwo_flag_free):
        h = self._h
        if h:
            self._h = None
            try:
                _free(h)
            except Exception:
                pass

    def is_enabled(self) -> bool:
        e = self._enabled
        if e is None:
            e = self._enabled = lib.vwo_flag_is_enabled(self._h) == 1
        return e

    def _variables(self) -> List[Dict[str, Any]]:
        v = self._vars
        if v is None:
            out = c_void_p()
            st = lib.vwo_flag_variables_json(self._h, byref(out))
            text = _native.take_string(out) if st == VWO_OK else None
            v = self._vars = json.loads(text) if text else []
        return v

    def get_variables(self) -> List[Dict[str, Any]]:
        """Every variable of the served variation as ``{"id", "value", "type", "key"}``
        (a fresh copy on each call)."""
        return copy.deepcopy(self._variables())

    def get_variable(self, variable_key: str, default_value: Any = None) -> Any:
        """The raw value of a variable (``dict``/``list`` for json variables, ``int`` /
        ``float`` / ``bool`` / ``str`` otherwise), or ``default_value`` when absent."""
        for var in self._variables():
            if var.get("key") == variable_key:
                value = var.get("value")
                return copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        return default_value

    def get_uuid(self) -> Optional[str]:
        """The VWO visitor UUID used for the decision (``None`` when the call failed before
        deriving it)."""
        raw = lib.vwo_flag_uuid(self._h)
        return raw.decode() if raw else None

    def get_session_id(self) -> int:
        return int(lib.vwo_flag_session_id(self._h))

    @property
    def reason(self) -> str:
        """How the decision was reached (extension): ``evaluated``, ``stored_experiment``,
        ``stored_holdout``, ``holdout``, ``feature_not_found`` or ``error``."""
        return _native.REASONS.get(lib.vwo_flag_reason(self._h), "error")

    def __repr__(self) -> str:
        return "GetFlag(is_enabled=%r, variables=%d)" % (self.is_enabled(), len(self._variables()))


class _DisabledFlag(GetFlag):
    """A disabled flag made by the binding itself (the call never reached the library)."""

    __slots__ = ("_session", "_uuid")

    def __init__(self, session_id: Any, uuid: Optional[str] = None):
        super().__init__(None)
        self._enabled = False
        self._vars = []
        self._session = session_id
        self._uuid = uuid

    def get_uuid(self) -> Optional[str]:
        return self._uuid

    def get_session_id(self) -> Any:
        return self._session

    @property
    def reason(self) -> str:
        return "error"


def _now_s() -> int:
    return int(time.time())


def _valid_context(context: Any) -> Optional[str]:
    """Why a context is unusable (None when it is usable), as the official SDK checks it."""
    if not context or not isinstance(context, Mapping) or "id" not in context:
        return "Invalid context"
    if not isinstance(context.get("id"), str):
        return "user_id under context must be a string value"
    return None


class VWOClient:
    """A VWO FME client backed by the native library. Create it with :func:`init`.

    Thread-safe: one client may be shared by any number of threads. ``close()`` (or leaving
    a ``with`` block) delivers pending events and stops the library's threads; API calls on
    a closed client raise :class:`VWOClientClosedError`."""

    def __init__(self, options: Mapping[str, Any]):
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise _InitError(
                "VWO initialization failed. Error: options must be a dict, got %s" % type(options).__name__
            )
        self.options: Dict[str, Any] = dict(options)
        self._h: Optional[int] = None
        self._closed = False
        self._close_result: Optional[bool] = None
        threading_opt = self.options.get("threading")
        # Whether the library runs a settings poller thread for this client.
        self._polls = (
            not self.options.get("offline")
            and (self.options.get("settings") is None or self.options.get("poll_interval") is not None)
            and not (isinstance(threading_opt, Mapping) and "enabled" in threading_opt and not threading_opt["enabled"])
        )
        text, host = _translate_options(self.options)
        self._router = host.router
        ud = _callbacks.register(host)
        cbs = _callbacks.callbacks_struct(ud, host)
        out = c_void_p()
        st = lib.vwo_client_new(text, byref(cbs), byref(out))
        if st != VWO_OK or not out.value:
            # The library never called free_user_data for a client it did not create.
            _callbacks._hosts.pop(ud, None)
            msg = _native.last_error()
            if st != VWO_ERR_INIT and not msg.startswith("VWO initialization failed"):
                msg = "VWO initialization failed. Error: %s" % msg
            raise _InitError(msg)
        self._h = out.value
        _live_clients.add(self)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> bool:
        """Stops polling, delivers pending events (within the library's
        ``shutdown_timeout_ms``, default 5 s; the rest go to ``flush_callback`` with an error)
        and joins the library's threads. Returns whether every pending event was delivered.
        Idempotent."""
        if self._closed:
            return bool(self._close_result)
        self._closed = True
        delivered = c_int32(1)
        if self._h:
            lib.vwo_client_close(self._h, byref(delivered))
        self._close_result = bool(delivered.value)
        _live_clients.discard(self)
        return self._close_result

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "VWOClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self, _free=lib.vwo_client_free):
        h = getattr(self, "_h", None)
        if h:
            self._h = None
            try:
                _free(h)
            except Exception:
                pass

    def _closed_error(self, api: str) -> VWOClientClosedError:
        return VWOClientClosedError("VWO client is closed: %s() cannot be called after close()" % api)

    def _failed(self, api: str, err: str) -> None:
        self._router.error("API - %s failed to execute. Error:%s" % (api, err))

    # ------------------------------------------------------------------ API
    def get_flag(self, feature_key: str, context: Dict[str, Any]) -> GetFlag:
        """Decides ``feature_key`` for the user in ``context``. Never raises for evaluation
        problems: they give a disabled flag and a log line."""
        if self._closed:
            raise self._closed_error("get_flag")
        # Fast path: a plain dict with a string id, a string key.
        if type(context) is dict and type(feature_key) is str and type(context.get("id")) is str:
            try:
                ctx = _encode_fast(context)
            except Exception:
                pass
            else:
                try:
                    cache = _tls.contexts
                except AttributeError:
                    cache = _tls.contexts = _ContextCache()
                if cache.busy:  # re-entered from a callback: no cache
                    out = c_void_p()
                    st = _get_flag(self._h, feature_key.encode("utf-8"), ctx, byref(out))
                    return self._flag_status(st, out) if st else GetFlag(out.value)
                cache.busy = True
                try:
                    h = cache.get(ctx)
                    if not h:
                        h = cache.handle(ctx, h)
                    out = cache.out
                    if h:
                        st = _get_flag_ctx(self._h, feature_key.encode("utf-8"), h, cache.ref)
                    else:
                        st = _get_flag(self._h, feature_key.encode("utf-8"), ctx, cache.ref)
                    handle = out.value
                finally:
                    cache.busy = False
                if st:
                    return self._flag_status(st, c_void_p(handle))
                return GetFlag(handle)
        return self._get_flag_slow(feature_key, context)

    def _flag_status(self, st: int, out: c_void_p) -> GetFlag:
        if st == VWO_ERR_CLOSED:
            GetFlag(out.value)  # freed at once
            raise self._closed_error("get_flag")
        # Any other failure was logged by the library, as the official SDK logs it.
        return GetFlag(out.value)

    def _get_flag_slow(self, feature_key: Any, context: Any) -> GetFlag:
        problem = _valid_context(context)
        if problem is None and not isinstance(feature_key, str):
            problem = "TypeError: featureKey should be a string"
        if problem is None:
            try:
                ctx = _encode(context).encode("utf-8")
            except (TypeError, ValueError) as e:
                problem = "invalid context: %s" % e
        if problem is not None:
            self._failed("getFlag", problem)
            session = context.get("session_id") if isinstance(context, Mapping) else None
            return _DisabledFlag(session if session is not None else _now_s())
        out = c_void_p()
        st = _get_flag(self._h, feature_key.encode("utf-8"), ctx, byref(out))
        if st:
            return self._flag_status(st, out)
        return GetFlag(out.value)

    def track_event(
        self, event_name: str, context: Dict[str, Any], event_properties: Optional[Dict[str, Any]] = None
    ) -> Dict[str, bool]:
        """Tracks a custom event; ``{event_name: True}`` when the event is one of the
        settings' metrics and was queued, ``{event_name: False}`` otherwise."""
        if self._closed:
            raise self._closed_error("track_event")
        api = "track_event"
        if not isinstance(event_name, str):
            self._failed(api, "TypeError: event_name should be a string")
            return {event_name: False}
        if event_properties is not None and not isinstance(event_properties, Mapping):
            self._failed(api, "TypeError: event_properties should be an object")
            return {event_name: False}
        problem = _valid_context(context)
        if problem is not None:
            self._failed(api, problem)
            return {event_name: False}
        try:
            ctx = _encode(context).encode("utf-8")
            props = _encode(event_properties).encode("utf-8") if event_properties else None
        except (TypeError, ValueError) as e:
            self._failed(api, str(e))
            return {event_name: False}
        tracked = c_int32(0)
        st = lib.vwo_track_event(self._h, event_name.encode("utf-8"), ctx, props, byref(tracked))
        if st:
            if st == VWO_ERR_CLOSED:
                raise self._closed_error(api)
            # Any other failure was logged by the library, as the official SDK logs it.
        return {event_name: bool(tracked.value)}

    def set_attribute(self, key_or_map: Any, value_or_context: Any, context: Optional[Dict[str, Any]] = None) -> None:
        """``set_attribute(key, value, context)`` or ``set_attribute(attribute_map, context)``.
        Values must be strings, numbers or booleans (an empty string is refused)."""
        if self._closed:
            raise self._closed_error("set_attribute")
        api = "set_attribute"
        if context is not None:
            if not isinstance(key_or_map, str) or key_or_map == "":
                return self._failed(api, "TypeError: key should be a string")
            if not isinstance(value_or_context, (str, int, bool, float)) or value_or_context == "":
                return self._failed(api, "TypeError: value should be a string, integer, float, or boolean")
            attributes: Any = {key_or_map: value_or_context}
            user_context = context
        else:
            if not isinstance(key_or_map, Mapping) or not key_or_map:
                return self._failed(api, "TypeError: attribute_map should be a non-empty object")
            for k, v in key_or_map.items():
                if not isinstance(k, str):
                    return self._failed(api, "TypeError: key should be a string")
                if not isinstance(v, (str, int, bool, float)):
                    return self._failed(
                        api, "TypeError: value for key '%s' should be a string, integer, float or boolean" % k
                    )
            attributes = key_or_map
            user_context = value_or_context
        problem = _valid_context(user_context)
        if problem is not None:
            return self._failed(api, problem)
        try:
            ctx = _encode(user_context).encode("utf-8")
            attrs = _encode(attributes).encode("utf-8")
        except (TypeError, ValueError) as e:
            return self._failed(api, str(e))
        st = lib.vwo_set_attributes(self._h, attrs, ctx)
        if st:
            if st == VWO_ERR_CLOSED:
                raise self._closed_error(api)
            # Any other failure was logged by the library, as the official SDK logs it.
        return None

    def flush_events(self, timeout: float = DEFAULT_FLUSH_TIMEOUT_S) -> bool:
        """Sends queued events now and waits (up to ``timeout`` seconds) until every pending
        event was delivered. Returns whether all were delivered (the official SDK always
        returns False)."""
        if self._closed:
            raise self._closed_error("flush_events")
        ms = max(0, min(int(timeout * 1000), 0xFFFFFFFF))
        delivered = c_int32(0)
        st = lib.vwo_flush_events(self._h, ms, byref(delivered))
        if st == VWO_ERR_CLOSED:
            raise self._closed_error("flush_events")
        return st == VWO_OK and bool(delivered.value)

    def update_settings(
        self, settings: Optional[Union[Dict[str, Any], str]] = None, is_via_webhook: bool = True
    ) -> None:
        """Installs ``settings`` (validated first) or, when ``None`` / ``{}``, fetches them
        (from the webhook endpoint when ``is_via_webhook``). On failure the current settings
        stay and an error is logged."""
        if self._closed:
            raise self._closed_error("update_settings")
        api = "update_settings"
        text = None
        if settings is not None and settings != {}:
            try:
                text = (settings if isinstance(settings, str) else _encode(settings)).encode("utf-8")
            except (TypeError, ValueError) as e:
                return self._failed(api, str(e))
        st = lib.vwo_update_settings(self._h, text, 1 if is_via_webhook else 0)
        if st:
            if st == VWO_ERR_CLOSED:
                raise self._closed_error(api)
            msg = _native.last_error()
            if st not in _LOGGED_BY_LIBRARY or msg.startswith("offline mode"):
                self._failed(api, msg)
        return None

    def set_alias(self, user_id_or_context: Union[str, Dict[str, Any]], alias_id: str) -> bool:
        """Links ``alias_id`` to a user id (or a context's ``id``) on the gateway. Needs
        ``is_aliasing_enabled`` and ``gateway_service``. Returns whether it was stored."""
        if self._closed:
            raise self._closed_error("set_alias")
        api = "setAlias"
        user_id: Any
        if isinstance(user_id_or_context, str):
            user_id = user_id_or_context
        elif isinstance(user_id_or_context, Mapping):
            user_id = user_id_or_context.get("id")
        else:
            user_id = None
        if not isinstance(user_id, str) or not user_id.strip():
            self._failed(api, "User ID is required")
            return False
        if not isinstance(alias_id, str) or not alias_id.strip():
            self._failed(api, "Alias ID is required")
            return False
        ok = c_int32(0)
        st = lib.vwo_set_alias(self._h, user_id.encode("utf-8"), alias_id.encode("utf-8"), byref(ok))
        if st:
            if st == VWO_ERR_CLOSED:
                raise self._closed_error("set_alias")
            self._failed(api, _native.last_error())
            return False
        return bool(ok.value)


def init(options: Dict[str, Any]) -> Optional[VWOClient]:
    """Creates a client (blocking while the settings are fetched, unless ``settings`` is
    given). Like the official SDK, a problem is printed and ``None`` is returned."""
    try:
        return VWOClient(options)
    except _InitError as e:
        print(str(e))
        return None
    except Exception as e:  # noqa: BLE001 - init never raises, as in the official SDK
        print("VWO initialization failed. Error:", e)
        return None


def getUUID(user_id: str, account_id: str) -> Optional[str]:  # noqa: N802 (official name)
    """The VWO visitor UUID of a user in an account: 32 upper-case hex digits, or ``None``
    (after a printed message) when an argument is not a non-empty string."""
    api_name = "getUUID"
    if not isinstance(user_id, str) or user_id == "":
        print("userId passed to %s API is not of valid type." % api_name)
        return None
    if not isinstance(account_id, str) or account_id == "":
        print("accountId passed to %s API is not of valid type." % api_name)
        return None
    out = c_void_p()
    st = lib.vwo_get_uuid(user_id.encode("utf-8"), account_id.encode("utf-8"), byref(out))
    if st != VWO_OK:
        print("API - %s failed to execute. Trace: %s" % (api_name, _native.last_error()))
        return None
    return _native.take_string(out)


# Unused-import guard for type checkers.
_ = (Callable, ctypes)
