"""Every callback: storage, integrations, logger transports, flush callback; exceptions
raised inside them never escape into the library or crash the process."""

from __future__ import annotations

import json
import logging
import socket
import threading


from vwo_fme import StorageConnector, init
from conftest import FIXTURES

S1 = json.loads((FIXTURES / "settings" / "s1_rollout_only.json").read_text())
S2 = json.loads((FIXTURES / "settings" / "s2_rollout_ab.json").read_text())


def opts(settings=S1, **extra):
    o = {"sdk_key": settings["sdkKey"], "account_id": settings["accountId"], "settings": settings, "offline": True}
    o.update(extra)
    return o


def dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


# ------------------------------------------------------------------------------- storage
class DictStorage(StorageConnector):
    def __init__(self):
        self.data, self.gets, self.sets = {}, [], []

    def get(self, key, user_id):
        self.gets.append((key, user_id))
        return self.data.get("%s_%s" % (key, user_id))

    def set(self, value):
        self.sets.append(value)
        self.data["%s_%s" % (value["featureKey"], value["userId"])] = value


def ab_flag_and_user():
    """A flag of s2 with an A/B rule, and its key."""
    return S2["features"][0]["key"]


def test_storage_reads_and_writes_and_sticks():
    st = DictStorage()
    key = ab_flag_and_user()
    with init(opts(S2, storage=st)) as c:
        first = c.get_flag(key, {"id": "sticky-user"})
        assert (key, "sticky-user") in st.gets
        assert st.sets and st.sets[0]["featureKey"] == key and st.sets[0]["userId"] == "sticky-user"
        record = st.sets[-1]
        # a stored decision is served again
        again = c.get_flag(key, {"id": "sticky-user"})
        assert again.get_variables() == first.get_variables()
        assert again.is_enabled() == first.is_enabled()
        if "experimentVariationId" in record:
            assert again.reason == "stored_experiment"


class RaisingStorage(StorageConnector):
    def get(self, key, user_id):
        raise ValueError("db down")

    def set(self, value):
        raise KeyError("read only")


def test_storage_exceptions_are_logged_and_evaluation_goes_on(capfd):
    with init(opts(storage=RaisingStorage())) as c:
        f = c.get_flag("rollout_basic", {"id": "u"})
        assert f.is_enabled() is True and f.get_variable("int_var") == 10
    out = capfd.readouterr().out
    assert "db down" in out and "ValueError" in out
    assert "read only" in out and "KeyError" in out


class WeirdStorage(StorageConnector):
    def get(self, key, user_id):
        return "not a dict"


def test_storage_returning_a_non_dict(capfd):
    with init(opts(storage=WeirdStorage())) as c:
        assert c.get_flag("rollout_basic", {"id": "u"}) is not None
    assert "[ERROR]" in capfd.readouterr().out


def test_duck_typed_storage_without_subclassing():
    class Duck:
        def __init__(self):
            self.n = 0

        def get(self, key, user_id):
            self.n += 1

        def set(self, value):
            self.n += 1

    d = Duck()
    with init(opts(storage=d)) as c:
        c.get_flag("rollout_basic", {"id": "u"})
    assert d.n >= 2


# --------------------------------------------------------------------------- integrations
def test_integrations_callback_gets_decisions_and_events():
    seen = []
    with init(opts(integrations={"callback": seen.append})) as c:
        c.get_flag("rollout_basic", {"id": "u", "custom_variables": {"plan": "pro"}})
        c.track_event("rollout_basic_conversion", {"id": "u"})
    assert seen[0]["featureKey"] == "rollout_basic" and seen[0]["api"] == "getFlag"
    assert seen[0]["userId"] == "u" and "rolloutId" in seen[0]
    assert seen[1] == {"event_name": "rollout_basic_conversion", "api": "trackEvent"}


def test_integrations_callback_exception_is_logged_not_raised(capfd):
    def boom(props):
        raise RuntimeError("analytics offline")

    with init(opts(integrations={"callback": boom})) as c:
        assert c.get_flag("rollout_basic", {"id": "u"}).is_enabled() is True
        assert c.track_event("rollout_basic_conversion", {"id": "u"}) == {"rollout_basic_conversion": True}
    out = capfd.readouterr().out
    assert out.count("integrations callback raised RuntimeError: analytics offline") == 2


# --------------------------------------------------------------------------------- logger
class Collect:
    def __init__(self, level):
        self.level = level
        self.config = {}
        self.lines = []

    def log(self, level, message):
        self.lines.append((level, message))


class PerLevel:
    def __init__(self, level, prefix=None):
        self.level = level
        self.config = {"prefix": prefix} if prefix else {}
        self.lines = []

    def info(self, m):
        self.lines.append(("info", m))

    def error(self, m):
        self.lines.append(("error", m))

    def debug(self, m):
        self.lines.append(("debug", m))


def test_transport_log_receives_upper_case_level_and_raw_message(capfd):
    t = Collect("INFO")
    with init(opts(logger={"level": "error", "transport": t})) as c:
        c.get_flag("rollout_basic", {"id": 5})
    levels = {lvl for lvl, _ in t.lines}
    assert "INFO" in levels and "ERROR" in levels and "DEBUG" not in levels
    err = [m for lvl, m in t.lines if lvl == "ERROR"]
    assert any(m.startswith("API - getFlag failed to execute") for m in err)
    assert not any(m.startswith("[") for _, m in t.lines)  # raw, not formatted
    assert capfd.readouterr().out == ""  # a custom transport replaces the console


def test_a_failure_found_by_the_library_is_logged_once():
    t = Collect("error")
    with init(opts(logger={"level": "error", "transport": t})) as c:
        # Passes the binding's own checks; the library refuses the custom variables.
        flag = c.get_flag("rollout_basic", {"id": "u1", "custom_variables": [1]})
        assert flag.is_enabled() is False
        c.track_event("purchase", {"id": "u1", "custom_variables": [1]})
        c.set_attribute("plan", "pro", {"id": "u1", "custom_variables": [1]})
    failed = [m for _, m in t.lines if "failed to execute" in m]
    assert [m.split(" failed")[0] for m in failed] == [
        "API - getFlag", "API - track_event", "API - set_attribute"], failed


def test_transports_each_with_their_own_level_and_per_level_methods():
    info, error = Collect("info"), PerLevel("error", prefix="MINE")
    with init(opts(logger={"level": "debug", "prefix": "TOP", "transports": [info, error],
                           "transport": Collect("trace")})) as c:
        c.get_flag("rollout_basic", {"id": 7})
    assert info.lines and all(lvl in ("INFO", "WARN", "ERROR") for lvl, _ in info.lines)
    assert error.lines and all(kind == "error" for kind, _ in error.lines)
    kind, line = error.lines[0]
    assert line.startswith("[ERROR] MINE ") and "API - getFlag failed" in line


def test_the_transport_level_decides_not_the_logger_level():
    low, high = Collect("debug"), Collect("error")
    with init(opts(logger={"level": "error", "transports": [low, high]})) as c:
        c.get_flag("rollout_basic", {"id": "u"})
    assert any(lvl == "INFO" for lvl, _ in low.lines)  # "VWO client initialized"
    assert high.lines == []


def test_a_raising_transport_does_not_break_anything(caplog):
    class Bad:
        level = "info"
        config = {}

        def log(self, level, message):
            raise ValueError("transport broken")

    with caplog.at_level(logging.ERROR, logger="vwo_fme"):
        with init(opts(logger={"transport": Bad()})) as c:
            assert c.get_flag("rollout_basic", {"id": "u"}).is_enabled() is True
    assert any("transport" in r.getMessage() for r in caplog.records)


def test_console_prefix_and_level(capfd):
    with init(opts(logger={"level": "info", "prefix": "MY-APP"})) as c:
        c.get_flag("rollout_basic", {"id": 1})
    out = capfd.readouterr().out
    assert "[INFO] MY-APP " in out and "[ERROR] MY-APP " in out


def test_dict_transport_is_a_console_with_its_own_config(capfd):
    with init(opts(logger={"level": "info", "transports": [{"level": "error", "prefix": "DICT"}]})) as c:
        c.get_flag("rollout_basic", {"id": 1})
    out = capfd.readouterr().out
    assert "[ERROR] DICT " in out and "[INFO]" not in out


def test_sdk_key_is_masked_in_logs():
    t = Collect("trace")
    with init(opts(logger={"transport": t}, proxy_url=dead_url(), offline=False, retry_config={"max_retries": 0},
                   threading={"enabled": False})) as c:
        c.update_settings(None, False)  # fails, and the failure mentions the URL with the key
    assert t.lines
    assert not any(S1["sdkKey"] in m for _, m in t.lines)


# ---------------------------------------------------------------------- batch and flush
def test_flush_callback_success_with_the_event_list(mock_server):
    server = mock_server(FIXTURES / "settings" / "s1_rollout_only.json")
    calls = []
    o = opts(proxy_url=server.url, offline=False,
             batch_event_data={"events_per_request": 3, "request_time_interval": 600,
                               "flush_callback": lambda e, p: calls.append((e, p, threading.current_thread().name))})
    with init(o) as c:
        for i in range(3):
            c.get_flag("rollout_basic", {"id": "u%d" % i})
        assert c.flush_events() is True
    assert calls and calls[0][0] is None
    events = [ev for _, p, _ in calls for ev in p]
    assert all(isinstance(ev, dict) for ev in events)
    names = [ev["d"]["event"]["name"] for ev in events]
    assert names.count("vwo_variationShown") == 3
    batches = [r for r in server.take() if r["path"].endswith("/batch-events-v2")]
    assert sum(len(r["body"]["ev"]) for r in batches) == len(events)


def test_flush_callback_error_when_the_server_is_unreachable():
    calls = []
    o = opts(proxy_url=dead_url(), offline=False, retry_config={"should_retry": False},
             batch_event_data={"events_per_request": 100, "flush_callback": lambda e, p: calls.append((e, p))})
    with init(o) as c:
        c.get_flag("rollout_basic", {"id": "u"})
        assert c.flush_events(timeout=5) is False
    assert calls and isinstance(calls[0][0], str) and calls[0][0]
    assert isinstance(calls[0][1], list) and calls[0][1]


def test_flush_callback_exception_is_logged(mock_server, capfd):
    server = mock_server()

    def bad(err, payload):
        raise ZeroDivisionError("oops")

    o = {"sdk_key": "demo0000000000000000000000000000", "account_id": 123456, "proxy_url": server.url,
         "batch_event_data": {"events_per_request": 1, "flush_callback": bad}}
    with init(o) as c:
        c.get_flag("new_checkout", {"id": "alice"})
        assert c.flush_events() is True
    assert "flush_callback raised ZeroDivisionError: oops" in capfd.readouterr().out


def test_ansi_colours_on_console_and_per_level_transports(capfd):
    t = PerLevel("error")
    with init(opts(logger={"level": "error", "isAnsiColorEnabled": True})) as c:
        c.get_flag("rollout_basic", {"id": 1})
    assert "\x1b[" in capfd.readouterr().out
    with init(opts(logger={"isAnsiColorEnabled": True, "transport": t})) as c:
        c.get_flag("rollout_basic", {"id": 1})
    line = t.lines[0][1]
    assert line.startswith("\x1b[31m[ERROR] VWO-SDK \x1b[0m"), repr(line)


def test_date_time_format_for_per_level_transports():
    t = PerLevel("error")
    with init(opts(logger={"transport": t, "dateTimeFormat": lambda: "NOW"})) as c:
        c.get_flag("rollout_basic", {"id": 1})
    assert t.lines[0][1].startswith("[ERROR] VWO-SDK NOW API - getFlag failed")


def test_callbacks_may_call_back_into_the_client():
    """An integrations callback evaluating other users (re-entrant get_flag on the same
    thread) while the outer call holds a parsed context: nothing is freed under it."""
    from vwo_fme import client as client_module

    box = {}
    inner = []
    untouched = []

    def cb(props):
        c = box["c"]
        if props.get("api") == "getFlag" and props["userId"].startswith("outer"):
            before = dict(client_module._tls.contexts)
            for i in range(40):
                for _ in range(2):
                    inner.append(c.get_flag("rollout_basic", {"id": "inner-%d" % i}).get_variable("int_var"))
            # the outer call's parsed context (and every other one) is still there, unfreed
            untouched.append(dict(client_module._tls.contexts) == before)

    with init(opts(integrations={"callback": cb})) as c:
        box["c"] = c
        for i in range(40):
            for _ in range(3):
                f = c.get_flag("rollout_basic", {"id": "outer-%d" % i})
                assert f.get_variable("int_var") == 10 and f.get_uuid() is not None
    assert len(inner) == 40 * 3 * 80 and set(inner) == {10}
    assert untouched and all(untouched)
