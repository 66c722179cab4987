"""Evaluates segmentation DSLs with the official Python SDK (vwo-fme-python-sdk 1.65.0).

Used by check_segmentation_cases.py to measure the expectations of the Rust segmentation
tests; run it with a Python that has the SDK installed (pip install vwo-fme-python-sdk==1.65.0).

stdin: a JSON list of cases {dsl, vars, ctx?, features?, stored?}; ctx keys: user_agent,
ip_address, _vwo, platform_variables. features is [[id, key]] (the settings' features),
stored the feature keys for which storage holds a record.
stdout: one JSON line per case:
{"result": true|false|null|"EXC:<ExceptionType>", "errors": [[template, message]], "infos": [...]}

The SDK's SegmentationManager/SegmentEvaluator run unmodified; only their surroundings are
stubbed: the context model, the settings' feature list, the storage lookup and the logger
(which records instead of printing and sending debug events).
"""
import json, sys
from wingify.packages.segmentation_evaluator.core.segmentation_manager import SegmentationManager
from wingify.packages.segmentation_evaluator.evaluators.segment_evaluator import SegmentEvaluator
from wingify.packages.logger.core import log_manager as lm
from wingify.models.user.context_vwo_model import ContextVWOModel

class Log:
    def __init__(self): self.errors=[]; self.infos=[]
    def error_log(self, template, data={}, debug_data={}, should_send_log_to_vwo=True):
        from wingify.packages.logger.core.log_manager import error_messages
        try: msg = error_messages.get(template).format(**data)
        except Exception as e: msg = "FORMAT-FAIL"
        self.errors.append([template, msg])
    def info(self, m): self.infos.append(m)
    def debug(self, m): pass
    def error(self, m): self.errors.append(["", m])

class Ctx:
    def __init__(self, c):
        self.user_agent = c.get("user_agent"); self.ip_address = c.get("ip_address")
        v = c.get("_vwo"); self._vwo = ContextVWOModel(v) if v else None
        pv = c.get("platform_variables")
        self.platform_variables = dict(pv) if isinstance(pv, dict) else None
    def get_user_agent(self): return self.user_agent
    def get_ip_address(self): return self.ip_address
    def get_vwo(self): return self._vwo
    def get_platform_variables(self): return self.platform_variables
    def get_vwo_uuid(self): return "U"
    def get_session_id(self): return 1

class F:
    def __init__(self, i, k): self.i=i; self.k=k
    def get_id(self): return self.i
    def get_key(self): return self.k
class S:
    def __init__(self, fs): self.fs=[F(i,k) for i,k in fs]
    def get_features(self): return self.fs

def run(case):
    log = Log()
    lm.LogManager.get_instance = staticmethod(lambda: log)
    import wingify.packages.segmentation_evaluator.evaluators.segment_evaluator as se
    import wingify.packages.segmentation_evaluator.evaluators.segment_operand_evaluator as soe
    import wingify.packages.segmentation_evaluator.utils.web_testing_segment_util as wt
    for m in (se, soe, wt): m.LogManager.get_instance = staticmethod(lambda: log)
    stored = set(case.get("stored", []))
    SegmentEvaluator.check_in_user_storage = lambda self, s, fk, c: fk in stored
    mgr = SegmentationManager.get_instance()
    mgr.attach_evaluator()
    mgr.evaluator.context = Ctx(case.get("ctx", {}))
    mgr.evaluator.settings = S(case.get("features", [[1, "f1"]]))
    try:
        r = mgr.validate_segmentation(case["dsl"], case.get("vars", {}))
        r = r if r is None or isinstance(r, bool) else ("TRUTHY" if r else "FALSY")
    except Exception as e:
        r = "EXC:" + type(e).__name__
    return {"result": r, "errors": log.errors, "infos": log.infos}

for c in json.load(sys.stdin):
    print(json.dumps(run(c)))
