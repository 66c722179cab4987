"""Quick start, offline: decisions on the repository's examples/settings.json, no network.

Run from the repository root:  python bindings/python/examples/quickstart.py
"""

import json
import pathlib
import sys

from vwo_fme import init

path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "examples/settings.json")
settings = json.loads(path.read_text())

options = {
    "sdk_key": settings["sdkKey"],
    "account_id": settings["accountId"],
    "settings": settings,  # no settings fetch, no polling
    "offline": True,  # with settings: no network at all (events are counted, not sent)
}

with init(options) as vwo_client:
    for user_id, plan in (("alice", "free"), ("bob", "Premium"), ("carol", "enterprise")):
        context = {"id": user_id, "custom_variables": {"country": "US", "plan": plan}}
        flag = vwo_client.get_flag("new_checkout", context)
        print(
            "%-6s new_checkout enabled=%s title=%r layout=%r"
            % (user_id, flag.is_enabled(), flag.get_variable("title", "Checkout"), flag.get_variable("layout"))
        )
        pricing = vwo_client.get_flag("pricing_page", context)
        print("%-6s pricing_page enabled=%s variables=%s" % (user_id, pricing.is_enabled(), pricing.get_variables()))
        print("%-6s track purchase -> %s" % (user_id, vwo_client.track_event("purchase", context, {"revenue": 12.5})))
        vwo_client.set_attribute("plan", plan, context)
