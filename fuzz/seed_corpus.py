#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/ from the test
fixtures (nothing is downloaded; the corpora are not committed). Idempotent: file names are
content hashes. Usage: python3 fuzz/seed_corpus.py [corpus_dir]"""

import copy
import glob
import hashlib
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def dumps(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


counts = {}

# settings: every settings file of the fixtures, as it is.
settings_files = sorted(
    glob.glob(os.path.join(FIX, "conformance", "settings", "*.json"))
    + glob.glob(os.path.join(FIX, "upstream", "*", "settings", "*.json"))
)
for path in settings_files:
    with open(path, "rb") as f:
        put("settings", f.read())
# plus a sample of the schema mutations (settings the official SDK rejects or accepts).
def apply(doc, ops):
    doc = copy.deepcopy(doc)
    for op, path, *value in ops:
        if not path:
            doc = copy.deepcopy(value[0])
            continue
        parent = doc
        for seg in path[:-1]:
            parent = parent[seg]
        if op == "del":
            del parent[path[-1]]
        elif isinstance(parent, list) and path[-1] == len(parent):
            parent.append(copy.deepcopy(value[0]))
        else:
            parent[path[-1]] = copy.deepcopy(value[0])
    return doc


with open(os.path.join(FIX, "schema_mutations", "cases.json")) as f:
    mutations = json.load(f)
for case in random.Random(7).sample(mutations["cases"], 60):
    put("settings", dumps(apply(mutations["base"], case["ops"])))

# context: the distinct contexts of the conformance case files, some with a stored record.
seen = set()
for path in sorted(glob.glob(os.path.join(FIX, "conformance", "cases", "*.json"))):
    with open(path) as f:
        calls = json.load(f).get("calls", [])
    for call in calls:
        ctx = call.get("context")
        if ctx is None:
            continue
        text = dumps(ctx)
        if text in seen or len(seen) >= 300:
            continue
        seen.add(text)
        put("context", text)
for i, text in enumerate(sorted(seen)[:20]):
    ctx = json.loads(text)
    ctx["__storage"] = [
        {"featureKey": "seg_numeric", "userId": ctx.get("id"), "rolloutId": 1, "rolloutKey": "r",
         "rolloutVariationId": 1, "experimentId": 2, "experimentVariationId": 2},
        "storage down",
        [1],
        {},
    ][i % 4]
    put("context", dumps(ctx))

# segmentation: mode byte 0 + a JSON case, from the e2e segmentation suite and a sample of
# the recorded differential cases.
with open(os.path.join(FIX, "upstream", "vwo-fme-sdk-e2e-test-settings-n-cases",
                       "segmentation-evaluator-index.json")) as f:
    suite = json.load(f)
for group in suite.values():
    for case in group.values():
        put("segmentation", b"\x00" + dumps({"dsl": case.get("dsl"),
                                             "vars": case.get("customVariables") or {}}).encode())
diff = os.path.join(FIX, "segmentation_differential", "cases.json")
if os.path.exists(diff):
    with open(diff) as f:
        cases = json.load(f)
    for case in random.Random(11).sample(cases, min(400, len(cases))):
        put("segmentation", b"\x00" + dumps(case).encode())
# and a few byte strings for the generator mode (odd first byte).
rng = random.Random(13)
for _ in range(32):
    put("segmentation", bytes([1]) + bytes(rng.randrange(256) for _ in range(rng.randrange(16, 256))))

# ffi_sequence: byte-driven; random seeds of a few sizes give the first call sequences.
for _ in range(64):
    put("ffi_sequence", bytes(rng.randrange(256) for _ in range(rng.choice([64, 256, 1024]))))

for t in sorted(os.listdir(OUT)):
    print(f"{t}: {len(os.listdir(os.path.join(OUT, t)))} seed files")
