"""The public API: names, return types and values, error behaviour, close, context manager."""

from __future__ import annotations

import json

import pytest

import vwo_fme
from vwo_fme import LogLevelEnum, StorageConnector, getUUID, init
from conftest import FIXTURES

S1 = json.loads((FIXTURES / "settings" / "s1_rollout_only.json").read_text())


def s1_client(**extra):
    opts = {"sdk_key": S1["sdkKey"], "account_id": S1["accountId"], "settings": S1, "offline": True}
    opts.update(extra)
    c = init(opts)
    assert c is not None
    return c


def test_public_names_match_the_official_package():
    for name in ("init", "getUUID", "StorageConnector", "LogLevelEnum", "VWOClient"):
        assert hasattr(vwo_fme, name), name
    assert [e.value for e in LogLevelEnum] == ["trace", "debug", "info", "warn", "error"]
    assert StorageConnector().get("k", "u") is None
    assert vwo_fme.ABI_VERSION[0] == 1


def test_get_flag_values_keep_their_python_types():
    with s1_client() as c:
        f = c.get_flag("rollout_basic", {"id": "user-1"})
        assert f.is_enabled() is True
        assert f.get_variable("int_var") == 10 and type(f.get_variable("int_var")) is int
        assert f.get_variable("float_var") == 1.5
        assert f.get_variable("string_var") == "basic-on"
        assert f.get_variable("bool_var") is True
        assert f.get_variable("json_var") == {"tag": "basic-on", "n": 0}
        assert f.get_variable("missing") is None
        assert f.get_variable("missing", "dflt") == "dflt"
        variables = f.get_variables()
        assert [v["key"] for v in variables] == ["int_var", "float_var", "string_var", "bool_var", "json_var"]
        assert set(variables[0]) == {"id", "value", "type", "key"}
        # copies: mutating them does not change the flag
        variables[4]["value"]["n"] = 99
        f.get_variable("json_var")["n"] = 98
        assert f.get_variable("json_var") == {"tag": "basic-on", "n": 0}
        assert f.get_uuid() == getUUID("user-1", str(S1["accountId"]))
        assert isinstance(f.get_session_id(), int) and f.get_session_id() > 1_600_000_000
        assert f.reason == "evaluated"


def test_float_variable_with_integral_value_stays_a_float():
    with s1_client() as c:
        f = c.get_flag("rollout_targeted", {"id": "someone", "custom_variables": {"country": "FR"}})
        values = {v["key"]: v["value"] for v in f.get_variables()}
        if values.get("int_var") == 12:  # the fall-back rule with float_var 2.0
            assert type(values["float_var"]) is float and values["float_var"] == 2.0


def test_session_id_from_context_is_kept():
    with s1_client() as c:
        assert c.get_flag("rollout_basic", {"id": "u", "session_id": 1700000000}).get_session_id() == 1700000000


def test_unknown_feature_is_a_disabled_flag():
    with s1_client() as c:
        f = c.get_flag("no_such_flag", {"id": "u"})
        assert f.is_enabled() is False and f.get_variables() == []
        assert f.reason == "feature_not_found"


@pytest.mark.parametrize(
    "context",
    [None, {}, {"custom_variables": {}}, {"id": 5}, "user-1", {"id": "u", "custom_variables": "nope"}],
)
def test_bad_context_gives_a_disabled_flag_and_a_log_line(context, capfd):
    with s1_client() as c:
        f = c.get_flag("rollout_basic", context)
        assert f.is_enabled() is False
        assert f.get_variables() == [] and f.get_variable("int_var", 7) == 7
        assert c.track_event("rollout_basic_conversion", context) == {"rollout_basic_conversion": False}
        assert c.set_attribute("plan", "pro", context) is None
    out = capfd.readouterr().out
    assert "[ERROR] VWO-SDK" in out and "getFlag" in out and "track_event" in out and "set_attribute" in out


def test_non_string_feature_key():
    with s1_client() as c:
        assert c.get_flag(42, {"id": "u"}).is_enabled() is False


def test_track_event_returns_a_dict_keyed_by_the_event():
    with s1_client() as c:
        assert c.track_event("rollout_basic_conversion", {"id": "u"}) == {"rollout_basic_conversion": True}
        assert c.track_event("revenue", {"id": "u"}, {"amount": 12.5}) == {"revenue": True}
        assert c.track_event("not_a_metric", {"id": "u"}) == {"not_a_metric": False}
        assert c.track_event("revenue", {"id": "u"}, "bad") == {"revenue": False}


def test_set_attribute_both_forms_and_validation(capfd):
    with s1_client() as c:
        assert c.set_attribute("plan", "pro", {"id": "u"}) is None
        assert c.set_attribute({"plan": "pro", "age": 3, "beta": True, "score": 1.5}, {"id": "u"}) is None
        capfd.readouterr()
        c.set_attribute("plan", "", {"id": "u"})
        c.set_attribute({}, {"id": "u"})
        c.set_attribute({"x": [1]}, {"id": "u"})
        c.set_attribute("", "v", {"id": "u"})
    out = capfd.readouterr().out
    assert out.count("set_attribute failed") == 4


def test_get_uuid_helper():
    assert getUUID("user-123", "123456") == "CC25A368ADA0542699EAD62489811105"
    assert getUUID("", "1") is None
    assert getUUID("u", 1) is None


def test_update_settings_with_a_dict_and_with_bad_settings(capfd):
    with s1_client() as c:
        s = json.loads(json.dumps(S1))
        s["features"] = [f for f in s["features"] if f["key"] != "rollout_basic"]
        assert c.update_settings(s) is None
        assert c.get_flag("rollout_basic", {"id": "u"}).is_enabled() is False
        capfd.readouterr()
        assert c.update_settings({"nonsense": True}) is None
        assert "[ERROR]" in capfd.readouterr().out
        # offline: fetching is impossible, and said so
        c.update_settings()
        assert "offline" in capfd.readouterr().out
        assert c.get_flag("rollout_multi_var", {"id": "u"}).is_enabled() is True


def test_set_alias_needs_aliasing(capfd):
    with s1_client() as c:
        assert c.set_alias("user", "alias") is False
        assert c.set_alias({"id": "user"}, "alias") is False
        assert c.set_alias({"no": "id"}, "alias") is False
    assert "setAlias failed" in capfd.readouterr().out


def test_flush_events_without_events_is_true_offline():
    with s1_client() as c:
        assert c.flush_events() is True


def test_use_after_close_raises_a_clear_error():
    c = s1_client()
    f = c.get_flag("rollout_basic", {"id": "u"})
    assert c.close() is True
    assert c.close() is True  # idempotent
    assert c.closed
    for call in (
        lambda: c.get_flag("rollout_basic", {"id": "u"}),
        lambda: c.track_event("e", {"id": "u"}),
        lambda: c.set_attribute("k", "v", {"id": "u"}),
        lambda: c.flush_events(),
        lambda: c.update_settings(S1),
        lambda: c.set_alias("a", "b"),
    ):
        with pytest.raises(vwo_fme.VWOClientClosedError, match="closed"):
            call()
    # flags outlive their client
    assert f.is_enabled() is True and f.get_variable("int_var") == 10


def test_context_manager_closes():
    with s1_client() as c:
        pass
    assert c.closed
    with pytest.raises(RuntimeError):
        c.get_flag("rollout_basic", {"id": "u"})


def test_many_clients_are_independent():
    a, b = s1_client(), s1_client()
    a.close()
    assert b.get_flag("rollout_basic", {"id": "u"}).is_enabled() is True
    b.close()
