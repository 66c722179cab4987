"""init(): failures print and return None, as the official SDK; options translation."""

from __future__ import annotations

import json

import pytest

import vwo_fme
from vwo_fme import init


@pytest.mark.parametrize(
    "options, message",
    [
        ({"account_id": "1"}, "SDK key is required to initialize VWO"),
        ({"sdk_key": "", "account_id": "1"}, "SDK key is required"),
        ({"sdk_key": "k"}, "Account ID is required to initialize VWO"),
        ({"sdk_key": "k", "account_id": 0}, "Account ID is required"),
        ({"sdk_key": "k", "account_id": 1, "is_aliasing_enabled": True}, "Gateway service URL is required"),
        (None, "SDK key is required"),
        ("nonsense", "options must be a dict"),
        ({"sdk_key": "k", "account_id": 1, "logger": {"level": "loud"}}, "VWO initialization failed"),
        ({"sdk_key": "k", "account_id": 1, "settings": "{not json", "offline": True}, "VWO initialization failed"),
        ({"sdk_key": "k", "account_id": 1, "offline": True}, "offline mode needs the settings option"),
    ],
)
def test_init_failures_print_and_return_none(options, message, capsys):
    assert init(options) is None
    assert message in capsys.readouterr().out


def test_init_does_not_mutate_the_options(offline_options):
    opts = offline_options(logger={"level": "error"}, integrations={"callback": lambda p: None})
    before = dict(opts)
    c = init(opts)
    assert c is not None
    assert opts == before
    assert c.options["sdk_key"] == opts["sdk_key"]
    c.close()


def test_settings_as_json_text_and_string_account_id(example_settings):
    c = init({"sdk_key": example_settings["sdkKey"], "account_id": str(example_settings["accountId"]),
              "settings": json.dumps(example_settings), "offline": True})
    assert c is not None
    assert c.get_flag("new_checkout", {"id": "alice"}).is_enabled() is True
    c.close()


def test_log_level_enum_and_unknown_keys_are_accepted(offline_options):
    c = init(offline_options(logger={"level": vwo_fme.LogLevelEnum.DEBUG}, something_new={"x": object()}))
    assert c is not None
    c.close()


def test_translate_options_strips_python_objects():
    from vwo_fme.client import _translate_options

    class T:
        level = "info"

        def log(self, level, message):
            pass

    class S(vwo_fme.StorageConnector):
        pass

    text, host = _translate_options({
        "sdk_key": "k", "account_id": 1,
        "storage": S(),
        "integrations": {"callback": print},
        "logger": {"level": "debug", "prefix": "P", "transport": T(), "dateTimeFormat": lambda: "now"},
        "batch_event_data": {"events_per_request": 5, "flush_callback": print},
        "threading": {"enabled": False},
    })
    sent = json.loads(text)
    assert sent == {"sdk_key": "k", "account_id": 1, "logger": {"level": "debug", "prefix": "P"},
                    "batch_event_data": {"events_per_request": 5}, "threading": {"enabled": False}}
    assert host.storage is not None and host.integrations is print and host.flush is print
    assert host.router.custom and host.router.min_level == 2
