"""The seed README's examples (official SDK documentation), with `from vwo_fme import ...`.
The only change: `settings` + `offline` are added, as these tests may not reach VWO."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import EXAMPLE_SETTINGS, REPO
from vwo_fme import init

SETTINGS = json.loads(EXAMPLE_SETTINGS.read_text())
OFFLINE = {"settings": SETTINGS, "offline": True}
KEYS = {"sdk_key": SETTINGS["sdkKey"], "account_id": str(SETTINGS["accountId"])}


def test_basic_usage():
    options = dict(KEYS, **OFFLINE)
    vwo_client = init(options)
    user_context = {"id": "unique_user_id"}
    get_flag = vwo_client.get_flag("new_checkout", user_context)
    is_enabled = get_flag.is_enabled()
    int_var = get_flag.get_variable("int_variable_key", "default_value")
    assert is_enabled is True and int_var == "default_value"
    event_properties = {"revenue": 10}
    assert vwo_client.track_event("purchase", user_context, event_properties) == {"purchase": True}
    assert vwo_client.set_attribute("attribute_key", "attribute_value", user_context) is None
    context = {
        "id": "unique_user_id",
        "custom_variables": {"age": 25, "location": "US"},
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/130.0.0.0 Safari/537.36",
        "ip_address": "1.1.1.1",
    }
    feature_flag = vwo_client.get_flag("new_checkout", context)
    if feature_flag.is_enabled():
        variable_value = feature_flag.get_variable("title", "default_value")
        assert "Variable value: " + variable_value
    vwo_client.close()


def test_storage_example():
    from vwo_fme import StorageConnector

    client_db = {}

    class UserStorage(StorageConnector):
        def get(self, key: str, user_id: str):
            return client_db.get(f"{key}_{user_id}")

        def set(self, value: dict):
            key = f"{value.get('featureKey')}_{value.get('userId')}"
            client_db[key] = {
                "rolloutKey": value.get("rolloutKey"),
                "rolloutVariationId": value.get("rolloutVariationId"),
                "rolloutId": value.get("rolloutId"),
                "experimentKey": value.get("experimentKey"),
                "experimentVariationId": value.get("experimentVariationId"),
                "experimentId": value.get("experimentId"),
            }
            return True

    options = dict(KEYS, storage=UserStorage(), **OFFLINE)
    vwo_client = init(options)
    first = vwo_client.get_flag("homepage_hero", {"id": "u1"}).get_variables()
    assert "homepage_hero_u1" in client_db
    assert vwo_client.get_flag("homepage_hero", {"id": "u1"}).get_variables() == first
    vwo_client.close()


def test_integrations_example(capsys):
    def callback(properties):
        print(properties)

    options = dict(KEYS, integrations={"callback": callback}, **OFFLINE)
    vwo_client = init(options)
    vwo_client.get_flag("new_checkout", {"id": "u1"})
    vwo_client.close()
    assert "'featureKey': 'new_checkout'" in capsys.readouterr().out


def test_logger_examples(capfd):
    for logger in ({"level": "DEBUG"}, {"level": "DEBUG", "prefix": "CUSTOM LOG PREFIX"}):
        vwo_client = init(dict(KEYS, logger=logger, **OFFLINE))
        vwo_client.close()
    assert "[INFO] CUSTOM LOG PREFIX " in capfd.readouterr().out

    got = []

    class CustomTransport:
        def __init__(self, config):
            self.level = config.get("level", "ERROR")
            self.config = config

        def log(self, level, message):
            got.append((self.config["name"], level, message))

    vwo_client = init(dict(KEYS, logger={"transport": CustomTransport({"level": "INFO", "name": "one"})}, **OFFLINE))
    vwo_client.get_flag("new_checkout", {"id": 1})
    vwo_client.close()
    vwo_client = init(dict(KEYS, logger={"transports": [CustomTransport({"level": "INFO", "name": "info"}),
                                                        CustomTransport({"level": "ERROR", "name": "error"})]},
                           **OFFLINE))
    vwo_client.get_flag("new_checkout", {"id": 1})
    vwo_client.close()
    names = {(n, lvl) for n, lvl, _ in got}
    assert ("one", "INFO") in names and ("one", "ERROR") in names
    assert ("info", "INFO") in names and ("error", "ERROR") in names and ("error", "INFO") not in names


def test_threading_and_batch_examples():
    for threading in ({"enabled": False}, {"enabled": True, "max_workers": 10}):
        vwo_client = init(dict(KEYS, threading=threading, **OFFLINE))
        assert vwo_client.get_flag("new_checkout", {"id": "u"}).is_enabled()
        vwo_client.close()

    def event_flush_callback(error, payload):
        pass

    options = dict(KEYS, batch_event_data={"events_per_request": 60, "request_time_interval": 100,
                                            "flush_callback": event_flush_callback}, **OFFLINE)
    vwo_client = init(options)
    vwo_client.get_flag("new_checkout", {"id": "u"})
    vwo_client.flush_events()
    vwo_client.close()


def test_quickstart_runs_offline():
    r = subprocess.run([sys.executable, str(REPO / "bindings" / "python" / "examples" / "quickstart.py")],
                       cwd=str(REPO), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "alice  new_checkout enabled=True" in r.stdout
    assert "track purchase -> {'purchase': True}" in r.stdout


def test_the_readme_quick_start_block_runs(monkeypatch, capsys):
    text = (REPO / "bindings" / "python" / "README.md").read_text()
    section = text[text.index("## Quick start"):]
    code = section[section.index("```python") + len("```python"):]
    code = code[: code.index("```")]
    monkeypatch.chdir(REPO)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "True Checkout" in out and "{'purchase': True}" in out
