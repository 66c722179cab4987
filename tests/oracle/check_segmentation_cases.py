"""Checks the expectations in src/core/segmentation/tests.rs (the CASES table) against the
official Python SDK.

Usage: <python with vwo-fme-python-sdk==1.65.0 installed> tests/oracle/check_segmentation_cases.py

Every row is evaluated with the SDK through segmentation_oracle.py. A row passes when the SDK
gives the same outcome ("true", "false", "raise:<Exception>") and reports the same error
templates. Rows named "D1:..."/"D2:..." are decisions.md deviations: there the SDK must
disagree. Rows named "OURS:..." are not checked.
"""
import json, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "src", "core", "segmentation", "tests.rs")


def rust_strings(text):
    """Yields the Rust string literals and identifiers of one table row, in order."""
    i = 0
    while i < len(text):
        if text.startswith('r#"', i):
            end = text.index('"#', i + 3)
            yield text[i + 3:end]
            i = end + 2
        elif text[i] == '"':
            j = i + 1
            out = ""
            while text[j] != '"':
                if text[j] == "\\":
                    out += {"n": "\n", "\\": "\\", '"': '"', "t": "\t"}[text[j + 1]]
                    j += 2
                else:
                    out += text[j]
                    j += 1
            yield out
            i = j + 1
        elif text.startswith("NO_CTX", i) or text.startswith("UA_CTX", i):
            yield "$" + text[i:i + 6]
            i += 6
        else:
            i += 1


def main():
    src = open(SRC, encoding="utf-8").read()
    consts = {name: next(rust_strings(src[src.index("const %s: &str = " % name):].split("\n")[0].split("= ", 1)[1]))
              for name in ("NO_CTX", "UA_CTX")}
    table = src[src.index("const CASES: &[Row] = &["):]
    table = table[:table.index("\n];")]
    rows = []
    for line in table.split("\n"):
        if not line.strip().startswith('("'):
            continue
        parts = list(rust_strings(line))
        name, dsl, vars_, ctx, want = [consts[p[1:]] if p.startswith("$") else p for p in parts[:5]]
        rows.append((name, json.loads(dsl), json.loads(vars_), json.loads(ctx), want, parts[5:]))
    cases = []
    for name, dsl, vars_, ctx, _, _ in rows:
        case = {"dsl": dsl, "vars": vars_, "ctx": ctx, "features": ctx.get("features", []),
                "stored": ctx.get("stored", [])}
        cases.append(case)
    out = subprocess.run([sys.executable, os.path.join(HERE, "segmentation_oracle.py")],
                         input=json.dumps(cases), capture_output=True, text=True, check=True).stdout.splitlines()
    bad = 0
    for (name, _, _, _, want, errors), line in zip(rows, out):
        r = json.loads(line)
        res = r["result"]
        got = "raise:" + res[4:] if isinstance(res, str) and res.startswith("EXC:") else \
            ("true" if res is True or res == "TRUTHY" else "false")
        got_errors = [t for t, _ in r["errors"]]
        same = got == want and got_errors == errors
        if name.startswith("OURS:"):
            continue
        if name.startswith(("D1:", "D2:")):
            if same:
                bad += 1
                print("DEVIATION NOT OBSERVED", name, got, got_errors)
        elif not same:
            bad += 1
            print("MISMATCH", name, "sdk:", got, got_errors, "table:", want, errors)
    print("%d rows, %d problems" % (len(rows), bad))
    sys.exit(1 if bad else 0)


main()
