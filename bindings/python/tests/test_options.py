"""Every option of the seed README and decisions.md, observed on the wire (loopback mock
server) or in decisions."""

from __future__ import annotations

import copy
import json
import time


from vwo_fme import init
from conftest import EXAMPLE_SETTINGS, FIXTURES

S1_PATH = FIXTURES / "settings" / "s1_rollout_only.json"
S1 = json.loads(S1_PATH.read_text())
EX = json.loads(EXAMPLE_SETTINGS.read_text())


def base(server, **extra):
    o = {"sdk_key": S1["sdkKey"], "account_id": S1["accountId"], "proxy_url": server.url}
    o.update(extra)
    return o


def settings_requests(reqs):
    return [r for r in reqs if r["method"] == "GET" and "/server-side/" in r["path"]]


def test_settings_fetch_goes_to_proxy_url_with_the_official_query(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, threading={"enabled": False})) as c:
        reqs = server.take()
        s = settings_requests(reqs)
        assert len(s) == 1 and s[0]["path"] == "/server-side/v2-settings"
        q = dict(s[0]["query"])
        assert q["i"] == S1["sdkKey"] and q["a"] == str(S1["accountId"]) and q["s"] == "prod"
        assert c.get_flag("rollout_basic", {"id": "u"}).get_variable("int_var") == 10
        imp = [r for r in server.take() if r["path"].endswith("/batch-events-v2")]
        assert len(imp) == 1 and imp[0]["body"]["ev"][0]["d"]["event"]["name"] == "vwo_variationShown"


def test_is_development_mode_drops_s_prod(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, isDevelopmentMode=True, threading={"enabled": False})):
        q = dict(settings_requests(server.take())[0]["query"])
        assert "s" not in q


def test_poll_interval_polls(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, poll_interval=1000)):
        time.sleep(3.5)
    n = len(settings_requests(server.take()))
    assert n >= 3, n


def test_invalid_poll_interval_is_logged_and_ignored(mock_server, capfd):
    server = mock_server(S1_PATH)
    with init(base(server, poll_interval=10)) as c:
        assert c is not None
    assert "poll_interval" in capfd.readouterr().out


def test_usage_stats_ride_on_impressions_unless_disabled(mock_server):
    for disabled in (False, True):
        server = mock_server(S1_PATH)
        o = base(server, threading={"enabled": False}, is_usage_stats_disabled=disabled,
                 storage=None, integrations={"callback": lambda p: None})
        with init(o) as c:
            server.take()
            c.get_flag("rollout_basic", {"id": "u"})
            imp = [r for r in server.take() if r["path"].endswith("/batch-events-v2")][0]
        props = imp["body"]["ev"][0]["d"]["event"]["props"]
        if disabled:
            assert "vwoMeta" not in props
        else:
            meta = props["vwoMeta"]
            assert meta["ig"] == 1 and "th" not in meta  # integrations on, threading off


def test_threading_enabled_sends_from_workers(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, threading={"enabled": True, "max_workers": 2})) as c:
        server.take()
        c.track_event("purchase", {"id": "u", "user_agent": "UA/1", "ip_address": "1.2.3.4"})
        reqs = server.wait_for(2)
    ev = [r for r in reqs if r["path"].endswith("/events/t") and dict(r["query"])["en"] == "purchase"][0]
    q = dict(ev["query"])
    assert q["en"] == "purchase" and q["visitor_ua"] == "UA/1" and q["visitor_ip"] == "1.2.3.4"
    headers = {k.lower(): v for k, v in ev["headers"]}
    assert headers["x-device-user-agent"] == "UA/1" and headers["vwo-x-forwarded-for"] == "1.2.3.4"


def test_gateway_service_receives_settings_and_events(mock_server):
    server = mock_server(S1_PATH)
    host, port = server.url[len("http://"):].split(":")
    o = {"sdk_key": S1["sdkKey"], "account_id": S1["accountId"], "threading": {"enabled": False},
         "gateway_service": {"url": host, "protocol": "http", "port": int(port)},
         "batch_event_data": {"events_per_request": 10}}  # ignored with a gateway
    with init(o) as c:
        assert settings_requests(server.take())
        assert c.get_flag("rollout_basic", {"id": "u"}).is_enabled() is True
        reqs = server.take()
    assert reqs, "the impression goes to the gateway at once (no SDK batching)"


def test_aliasing_calls_the_gateway(mock_server):
    server = mock_server(S1_PATH)
    o = {"sdk_key": S1["sdkKey"], "account_id": S1["accountId"], "threading": {"enabled": False},
         "gateway_service": {"url": server.url}, "is_aliasing_enabled": True}
    with init(o) as c:
        server.take()
        c.set_alias({"id": "user-1"}, " alias 1 ")
        reqs = server.take()
    assert any("alias" in r["path"].lower() for r in reqs), [r["path"] for r in reqs]


def test_retry_config_limits_retries():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d" % s.getsockname()[1]
    s.close()
    o = {"sdk_key": S1["sdkKey"], "account_id": S1["accountId"], "settings": S1, "proxy_url": url,
         "threading": {"enabled": False},
         "retry_config": {"should_retry": True, "max_retries": 1, "initial_delay": 0.05, "backoff_multiplier": 1}}
    t = time.time()
    with init(o) as c:
        assert c.track_event("purchase", {"id": "u"}) == {"purchase": True}
    assert time.time() - t < 5


def test_settings_option_means_no_fetch(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, settings=S1, threading={"enabled": False})) as c:
        assert c.get_flag("rollout_basic", {"id": "u"}).is_enabled() is True
        assert settings_requests(server.take()) == []


def test_update_settings_fetches_from_the_webhook_endpoint(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, threading={"enabled": False})) as c:
        server.take()
        c.update_settings()
        c.update_settings(is_via_webhook=False)
        paths = [r["path"] for r in settings_requests(server.take())]
    assert paths == ["/server-side/v2-pull", "/server-side/v2-settings"]


def _beta_settings():
    s = copy.deepcopy(EX)
    for c in s["campaigns"]:
        if c["key"] == "new_checkout_rolloutRule1":
            c["variations"][0]["segments"] = {"or": [{"custom_variable": {"beta": "true"}}]}
    return s


def test_python_compat_switches_deviation_d1():
    s = _beta_settings()
    ctx = {"id": "alice", "custom_variables": {"beta": True}}
    common = {"sdk_key": s["sdkKey"], "account_id": s["accountId"], "settings": s, "offline": True}
    with init(common) as c:
        assert c.get_flag("new_checkout", ctx).is_enabled() is True  # D1: True -> "true"
    with init(dict(common, python_compat=True)) as c:
        assert c.get_flag("new_checkout", ctx).is_enabled() is False  # as the Python SDK: "True"


def test_offline_sends_nothing(mock_server):
    server = mock_server(S1_PATH)
    with init(base(server, settings=S1, offline=True, threading={"enabled": False})) as c:
        c.get_flag("rollout_basic", {"id": "u"})
        c.track_event("purchase", {"id": "u"})
        c.set_attribute("plan", "pro", {"id": "u"})
        assert c.flush_events() is True
    assert server.take() == []


def test_extra_native_options_are_passed_through(mock_server):
    server = mock_server(S1_PATH)
    o = base(server, threading={"enabled": True}, max_queue_size=5, shutdown_timeout_ms=1000,
             request_timeout_ms=2000, settings_timeout_ms=2000)
    with init(o) as c:
        assert c.get_flag("rollout_basic", {"id": "u"}).is_enabled() is True
