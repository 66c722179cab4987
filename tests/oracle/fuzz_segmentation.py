"""Differential test of src/core/segmentation against the official Python SDK.

Usage: <python with vwo-fme-python-sdk==1.65.0> tests/oracle/fuzz_segmentation.py [seed] [count]

Generates `count` random cases (DSL trees mixing every operator, malformed nodes and tricky
operands; users with strings, numbers, booleans, nulls and containers; contexts with and
without user agent, IP, `_vwo` and web-testing campaigns), evaluates them with the SDK
(segmentation_oracle.py) and with the Rust engine in python_compat mode
(tests/segmentation_differential.rs), and reports every case where the result, the error
templates reported or the number of info logs differ.
"""
import json, os, random, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

atoms = ["5", "05", "5.0", "5.5", "1e3", "1000", " 5 ", "-5", "10.10", "10.5", "1.2.3", "1.2.10", "abc", "ABC", "Abc",
         "", "true", "True", "false", "None", "inf", "nan", "1_000", "²", "٣", "a.b", "x5y", "a*b", "é", "Σ", "ς", ".", "..", "0", "0.0", "1e-05", "0.00001", "v1", "chrome", "Chrome/120"]
funcs = ["lower({})", "wildcard({})", "wildcard(*{})", "wildcard({}*)", "wildcard(*{}*)", "regex({})", "regex(^{}$)", "gt({})", "gte({})", "lt({})", "lte({})", "{}", "inlist({})"]
num_atoms = ["5", "10.10", "1.2.3", "0.00001", "1", "100", ".", "1..2", "٥"]
keys = ["a", "b", "c", "_vwoUserId"]
regexes = [r"^a", r"a$", r"\d+", r"\w+\b", r"(?i)ABC", r"[a-c]+", r"[^\d]", r"(a)\1", r"(?<n>a)", r"\p{L}", r"a{2}", r"a{,2}", r"x{", r"[[]", r"(?<=a)b", r"(?<=a|bc)d", r"\Z", r"\s", r"\S+$", r"(?x) a b", r"(?m)^b", r"a|", r"(", r"*", r"\bhello\b", r"é+", r"(?s).", r"\.", r"1\.5", r"[\]]", r"(?P<x>a)(?P=x)", r"(?:ab)*?c", r"a++", r"(?>a)", r"\u00e9", r"\x41", r"\0", r"\B", r"[\w-]", r"^$"]
tagpool = ["a", "aa", "abc", "ABC", "bab", "abcd", "b", "ab\n", "hello world", "é", "ÉÉ", "12", "x{", "[", "]", "a\nb", " ", "\u001c", "5.50", "1.5", "A1", "_", "²"]
def operand():
    if random.random() < 0.25:
        return "regex(" + random.choice(regexes) + ")"
    f = random.choice(funcs)
    a = random.choice(num_atoms if f[:2] in ("gt", "lt") else atoms)
    if random.random() < 0.05: return random.choice([5, None, True, ["x"], {"k": 1}])
    if f.startswith("inlist"): return "x" if random.random()<0.5 else f.format(a)
    return f.format(a)
def tagval():
    r = random.random()
    if r < 0.2: return random.choice(tagpool)
    if r < 0.5: return random.choice(atoms)
    if r < 0.6: return random.choice([5, -5, 0, 1000, 12345678901234567890, 5.5, 1e-5, 100.0, 0.1])
    if r < 0.7: return random.choice([True, False])
    if r < 0.75: return None
    if r < 0.8: return random.choice([[1, "a"], {"x": 1}])
    return random.choice(["hello", "Hello World", "ab*cd", "1.2.3.4", "2.10.3"])
def node(d):
    r = random.random()
    if d > 3 or r < 0.45:
        k = random.random()
        if k < 0.6: return {"custom_variable": {random.choice(keys): operand()}}
        if k < 0.65: return {"user": random.choice(["u1", "u1, u2", " u2 ", "x", 5])}
        if k < 0.7: return {"ua": operand()}
        if k < 0.75: return {random.choice(["ip_address", "browser_version", "os_version"]): operand()}
        if k < 0.8: return {random.choice(["country", "region", "city"]): random.choice(["India", "US", " \"India\" ", None, 5])}
        if k < 0.85: return {random.choice(["os", "device", "browser_string", "device_type"]): random.choice(["mac os", "Windows", ["x", "Mac OS"], "wildcard(m*)", "wildcard(m(*)", 5])}
        if k < 0.9: return {"featureId": random.choice([{"1": "on"}, {"2": "off"}, {"x": "on"}, {"1": "maybe"}, "1", {}])}
        if k < 0.95: return {"campaignVariation": random.choice(["12", "12_2", "!12", "12_!3", 12, True, "x"])}
        return random.choice([5, "x", {}, [], {"unknown": 1}, None])
    if r < 0.6: return {"not": node(d + 1)}
    op = random.choice(["and", "or"])
    if random.random() < 0.05: return {op: random.choice(["", {}, "x", 5, {"a": 1}])}
    items = [node(d + 1) for _ in range(random.randint(0, 4))]
    if random.random() < 0.2 and items and isinstance(items[0], dict):
        extra = node(5)
        if isinstance(extra, dict): items[0] = dict(list(items[0].items()) + list(extra.items()))
    return {op: items}
ctxs = [{}, {"user_agent": "Mozilla Chrome/120", "ip_address": "1.2.3.4"},
        {"user_agent": "UA", "ip_address": "5.0", "_vwo": {"location": {"country": "India", "region": None, "city": "5"}, "userAgent": {"os": "Mac OS", "device": "Apple Mac", "browser_version": "120.0", "os_version": 10.15}}},
        {"user_agent": "x", "_vwo": {"userAgent": {"os": 5, "device_type": "desktop"}}},
        {"ip_address": "1.1.1.1", "platform_variables": {"web_testing_campaigns": {"12": 2, "13": None}}},
        {"platform_variables": {"web_testing_campaigns": "{\"12\": \"3\", \"12\": \"2\"}"}},
        {"platform_variables": {"web_testing_campaigns": [1]}}]


def generate(n):
    cases = []
    for _ in range(n):
        vars_ = {k: tagval() for k in keys if random.random() < 0.7}
        cases.append({"dsl": node(0), "vars": vars_, "ctx": random.choice(ctxs),
                      "features": [[1, "f1"], [2, "f2"]], "stored": random.choice([[], ["f1"], ["f2"]])})
    return cases


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    random.seed(seed)
    cases = generate(count)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cases.json")
        rust_out = os.path.join(tmp, "rust.jsonl")
        with open(path, "w") as f:
            json.dump(cases, f)
        py = subprocess.run([sys.executable, os.path.join(HERE, "segmentation_oracle.py")], input=json.dumps(cases),
                            capture_output=True, text=True, check=True).stdout.splitlines()
        env = dict(os.environ, SEGMENTATION_CASES=path, SEGMENTATION_RESULTS=rust_out)
        subprocess.run(["cargo", "test", "-q", "--test", "segmentation_differential", "evaluate_generated_cases"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        rust = open(rust_out).read().splitlines()
    bad = 0
    for case, p, r in zip(cases, py, rust):
        p, r = json.loads(p), json.loads(r)
        want = p["result"]
        want = {None: False, "TRUTHY": True, "FALSY": False}.get(want, want) if not isinstance(want, bool) else want
        if (want, [t for t, _ in p["errors"]], len(p["infos"])) != (r["result"], r["errors"], r["infos"]):
            bad += 1
            if bad <= 10:
                print(json.dumps(case)[:600])
                print("  sdk:", want, p["errors"], len(p["infos"]), " rust:", r["result"], r["errors"], r["infos"])
    print("seed %d: %d cases, %d mismatches" % (seed, len(cases), bad))
    sys.exit(1 if bad else 0)


main()
