"""What Python's jsonschema and datamodel-code-generator make of the generated schemas.

Usage: check.py <directory with schemas/ and examples/> <models.py written by datamodel-codegen
from the stream schema>; exits non-zero on a failure.
"""

import copy
import importlib.util
import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

root = pathlib.Path(sys.argv[1])
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


def read(path):
    return json.loads((root / path).read_text())


stream = read("schemas/telemetry.schema.json")
log_line = read("schemas/log-line.schema.json")
validator = Draft202012Validator(stream)
started = read("examples/BuildStarted.v2.json")
for what, mutate, where, words in [
    ("one wrong field", lambda p: p["eventData"].__setitem__("imagesCount", "three"), ["eventData", "imagesCount"], "is not of type 'integer'"),
    ("an unknown eventType", lambda p: p.__setitem__("eventType", "Nope"), ["eventType"], "is not one of"),
    ("an unknown schemaVersion", lambda p: p.__setitem__("schemaVersion", 9), ["schemaVersion"], "is not one of [2]"),
]:
    payload = copy.deepcopy(started)
    mutate(payload)
    errors = list(validator.iter_errors(payload))
    best = best_match(validator.iter_errors(payload))
    check(len(errors) == 1 and list(best.absolute_path) == where and words in best.message,
          f"{what}: {len(errors)} error, best_match at {list(best.absolute_path)}: {best.message}")

# Every schema file in the registry under its $id: references between files resolve by $id,
# whatever the base.
schemas = [stream, log_line] + [json.loads(p.read_text()) for p in sorted((root / "schemas/events").glob("*.json"))]
registry = Registry().with_resources((schema["$id"], Resource.from_contents(schema)) for schema in schemas)
for schema in schemas:
    Draft202012Validator.check_schema(schema)
# The log-line schema refers to the stream schema by its $id: resolved through the registry.
lines = Draft202012Validator(log_line, registry=registry)
diagnostic = {"diagnostic": "delivery", "message": "x", "ts": 1, "executionID": "2f75d020-684e-4224-9013-35e95e1b7721"}
check(lines.is_valid(diagnostic) and lines.is_valid(started) and not lines.is_valid({**diagnostic, "extra": 1}),
      "the log-line schema takes events and diagnostics, nothing else")

spec = importlib.util.spec_from_file_location("models", sys.argv[2])
models = importlib.util.module_from_spec(spec)
sys.modules["models"] = models
spec.loader.exec_module(models)
for name in stream["$defs"]:
    check(hasattr(models, name), f"datamodel-codegen made the class {name}")
checked = 0
for path in sorted((root / "examples").glob("*.json")):
    payload = json.loads(path.read_text())
    for item in payload if isinstance(payload, list) else [payload]:
        model = getattr(models, f"{item['eventType']}V{item['schemaVersion']}")
        model.model_validate(item)
        models.TelemetryEvent.model_validate(item)
        checked += 1
check(checked >= 7, f"the models accept every example ({checked})")
wrong = copy.deepcopy(started)
wrong["eventData"]["imagesCount"] = "three"
try:
    models.BuildStartedV2.model_validate(wrong)
    check(False, "the model refuses a wrong payload")
except Exception:  # pydantic's ValidationError
    check(True, "the model refuses a wrong payload")

sys.exit(1 if failures else 0)
