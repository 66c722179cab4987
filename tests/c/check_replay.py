#!/usr/bin/env python3
"""Replays the shared conformance cases through the C ABI and compares with the official SDK.

For each cases file (tests/fixtures/conformance/cases/*.json), runs the C program
tests/c/replay.c (an offline client in python_compat mode on the case's settings, an
in-memory storage connector and the integrations callback written in C) and compares, call
by call, with the official Python SDK's recorded results (results/*.json.gz):

* calls[i].result: get_flag's is_enabled, variables (as vwo_flag_variables_json returns
  them), uuid and session_id; track_event's {name: bool}; set_attribute's null;
* calls[i].storage.writes and .reads (the records written, the keys read and whether a
  record was found), for the cases run with storage;
* calls[i].decision: the integrations callback's payload, for the cases run with it.

Comparison is strict JSON equality: key order is irrelevant, types are not (1 != 1.0,
true != 1). A recorded "<TS_S>" session id (the SDK's clock) matches a session id within an
hour of now. flush_events is not compared: the official SDK returns false, this one reports
whether the events were delivered (decisions.md N3).

Usage: check_replay.py --replay build/cabi/replay [CASE ...]   (CASE: e.g. s4_segmentation.storage)
Standard library only.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
KIT = os.path.join(ROOT, "tests", "fixtures", "conformance")


def strict_diff(expected, actual, path, out):
    """Appends (path, expected, actual) for every difference; JSON types must match."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in expected:
            if k not in actual:
                out.append((f"{path}.{k}", expected[k], "<missing>"))
            else:
                strict_diff(expected[k], actual[k], f"{path}.{k}", out)
        for k in actual:
            if k not in expected:
                out.append((f"{path}.{k}", "<missing>", actual[k]))
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            out.append((f"{path}.length", len(expected), len(actual)))
        for i, (e, a) in enumerate(zip(expected, actual)):
            strict_diff(e, a, f"{path}[{i}]", out)
    elif type(expected) is not type(actual) or expected != actual:
        out.append((path, expected, actual))


def field(text, what):
    if "\t" in text or "\n" in text:
        raise ValueError(f"{what} holds a tab or newline: {text!r}")
    return text


def dumps(value):
    # Compact JSON; json.dumps escapes control characters, so no raw tab or newline.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def build_input(cases, settings, meta, python_compat=True):
    sdk = meta.get("sdk_options", {})
    sdk_key = sdk.get("sdk_key") or settings["sdkKey"]
    account = sdk.get("account_id") or settings["accountId"]
    opts = {
        "sdk_key": sdk_key,
        "account_id": account,
        "settings": settings,
        "offline": True,
        "python_compat": python_compat,
    }
    copts = cases.get("options", {})
    for k in ("batch_event_data", "is_usage_stats_disabled"):
        if copts.get(k) is not None:
            opts[k] = copts[k]
    lines = [dumps(opts)]
    for call in cases["calls"]:
        op = call["op"]
        ctx = call.get("context")
        if op == "get_flag":
            lines.append("\t".join(["G", field(call["feature_key"], "feature_key"), dumps(ctx)]))
        elif op == "track_event":
            props = call.get("event_properties")
            lines.append("\t".join(["T", field(call["event_name"], "event_name"), dumps(ctx),
                                    "-" if props is None else dumps(props)]))
        elif op == "set_attribute":
            if "attributes" in call:
                lines.append("\t".join(["A", dumps(call["attributes"]), dumps(ctx)]))
            else:
                lines.append("\t".join(["S", field(call["key"], "key"), dumps(call["value"]),
                                        dumps(ctx)]))
        elif op == "flush_events":
            lines.append("F")
        elif op == "get_uuid":
            lines.append("\t".join(["U", field(call["user_id"], "user_id"),
                                    field(str(call.get("account_id", account)), "account_id")]))
        else:
            raise ValueError(f"unknown op {op!r}")
    return "\n".join(lines) + "\n", copts


def compare(expected_calls, actual_calls, storage, integrations, now):
    """Differences, flush calls skipped, and the number of storage writes and integration
    payloads compared."""
    diffs = []
    skipped = writes = payloads = 0
    if len(expected_calls) != len(actual_calls):
        diffs.append(("calls.length", len(expected_calls), len(actual_calls)))
    for i, (e, a) in enumerate(zip(expected_calls, actual_calls)):
        p = f"calls[{i}]"
        op = e["op"]
        if a["op"] != op:
            diffs.append((f"{p}.op", op, a["op"]))
            continue
        if op == "flush_events":
            skipped += 1
        elif op == "get_flag":
            exp = dict(e["result"])
            act = dict(a["result"])
            if exp.get("session_id") == "<TS_S>":
                sid = act.get("session_id")
                if not (isinstance(sid, int) and abs(sid - now) <= 3600):
                    diffs.append((f"{p}.result.session_id", "<TS_S>", sid))
                exp.pop("session_id")
                act.pop("session_id", None)
            strict_diff(exp, act, f"{p}.result", diffs)
        else:
            strict_diff(e["result"], a["result"], f"{p}.result", diffs)
        if storage and "storage" in e:
            writes += len(e["storage"]["writes"])
            strict_diff(e["storage"]["writes"], a["storage"]["writes"], f"{p}.storage.writes", diffs)
            strict_diff(e["storage"]["reads"], a["storage"]["reads"], f"{p}.storage.reads", diffs)
        if integrations and "decision" in e:
            payloads += e["decision"] is not None
            strict_diff(e["decision"], a["decision"], f"{p}.decision", diffs)
    return diffs, skipped, writes, payloads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replay", default=os.path.join(ROOT, "build", "cabi", "replay"))
    ap.add_argument("--show", type=int, default=10, help="differences shown per case")
    ap.add_argument("--no-python-compat", action="store_true",
                    help="decide with deviations D1/D2 on (expect the D1 differences)")
    ap.add_argument("cases", nargs="*", help="case names (default: every cases file)")
    args = ap.parse_args()

    names = args.cases or sorted(
        f[:-5] for f in os.listdir(os.path.join(KIT, "cases")) if f.endswith(".json"))
    total_calls = total_diffs = total_writes = total_payloads = 0
    for name in names:
        with open(os.path.join(KIT, "cases", name + ".json"), encoding="utf-8") as f:
            cases = json.load(f)
        with gzip.open(os.path.join(KIT, "results", name + ".json.gz"), "rt", encoding="utf-8") as f:
            results = json.load(f)
        settings_rel = cases["generator"]["settings"]
        with open(os.path.join(KIT, settings_rel), encoding="utf-8") as f:
            settings = json.load(f)
        text, copts = build_input(cases, settings, results.get("meta", {}), not args.no_python_compat)
        storage = bool(copts.get("storage"))
        integrations = bool(copts.get("integrations", True))
        cmd = [args.replay] + (["--storage"] if storage else []) + (["--integrations"] if integrations else [])
        t0 = time.monotonic()
        proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, cwd=ROOT)
        elapsed = time.monotonic() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
            print(f"c replay {name}: replay exited with {proc.returncode}")
            return 1
        actual = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
        diffs, skipped, writes, payloads = compare(results["calls"], actual, storage, integrations,
                                                   int(time.time()))
        total_calls += len(actual)
        total_diffs += len(diffs)
        total_writes += writes
        total_payloads += payloads
        checked = []
        if storage:
            checked.append(f"{writes} storage writes")
        if integrations:
            checked.append(f"{payloads} integration payloads")
        if skipped:
            checked.append(f"{skipped} flush_events not compared")
        note = f" ({', '.join(checked)})" if checked else ""
        print(f"c replay {name}: {len(actual)} calls, {len(diffs)} differences{note} [{elapsed:.2f} s]")
        for path, e, a in diffs[: args.show]:
            print(f"    {path}: expected {json.dumps(e)[:300]}, got {json.dumps(a)[:300]}")
    print(f"c replay: {len(names)} case files, {total_calls} calls, {total_diffs} differences "
          f"({total_writes} storage writes and {total_payloads} integration payloads compared)")
    return 0 if total_diffs == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
