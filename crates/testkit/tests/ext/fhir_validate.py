"""Validates FHIR R4 JSON resources with PyPI `fhir.resources` (6.4.0: FHIR 4.0.1, pydantic 1).

Usage: fhir_validate.py FILE...  Each file holds one resource (a Bundle's entries are validated as part of it).
Prints one line per file and exits non-zero if any resource does not validate, or if the installed package is
not the FHIR 4.0.1 release (newer fhir.resources default to R5, which would accept or reject the wrong things).

fhir.resources checks structure, types, cardinality and unknown fields, but not the codes of required bindings nor
the spec's invariants; `rules()` adds those for the elements Rapport emits (values from the R4 value sets).
"""
import json
import sys

import fhir.resources
from fhir.resources import construct_fhir_element


# Required bindings in FHIR R4 (4.0.1) for the coded elements we emit.
REQUIRED = {
    "Questionnaire.status": {"draft", "active", "retired", "unknown"},
    "Questionnaire.item.type": {
        "group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time", "string", "text",
        "url", "choice", "open-choice", "attachment", "reference", "quantity",
    },
    "QuestionnaireResponse.status": {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    "Observation.status": {
        "registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown",
    },
    "Bundle.type": {
        "document", "message", "transaction", "transaction-response", "batch", "batch-response", "history",
        "searchset", "collection",
    },
    "Bundle.entry.search.mode": {"match", "include", "outcome"},
}


def rules(r: dict) -> list:
    """Required-binding codes and the invariants obs-6 (no dataAbsentReason beside a value) and bdl-1 (total
    only in a search set or history)."""
    kind = r.get("resourceType")
    bad = []

    def code(path, value):
        if value is not None and value not in REQUIRED[path]:
            bad.append(f"{path} = {value!r} is not in its required value set")

    if kind == "Questionnaire":
        code("Questionnaire.status", r.get("status"))
        stack = list(r.get("item", []))
        while stack:
            item = stack.pop()
            code("Questionnaire.item.type", item.get("type"))
            stack.extend(item.get("item", []))
    elif kind == "QuestionnaireResponse":
        code("QuestionnaireResponse.status", r.get("status"))
    elif kind == "Observation":
        code("Observation.status", r.get("status"))
        if "dataAbsentReason" in r and any(k.startswith("value") for k in r):
            bad.append("obs-6: dataAbsentReason beside a value")
    elif kind == "Bundle":
        code("Bundle.type", r.get("type"))
        if "total" in r and r.get("type") not in ("searchset", "history"):
            bad.append("bdl-1: total only when a search set or history")
        for e in r.get("entry", []):
            code("Bundle.entry.search.mode", e.get("search", {}).get("mode"))
            if "resource" in e:
                bad.extend(rules(e["resource"]))
    return bad


def main() -> int:
    if fhir.resources.__fhir_version__ != "4.0.1":
        print(
            f"fhir.resources {fhir.resources.__version__} validates FHIR {fhir.resources.__fhir_version__}, "
            "not R4 (4.0.1): install fhir.resources==6.4.0",
            file=sys.stderr,
        )
        return 3
    failed = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        kind = data.get("resourceType", "?")
        try:
            construct_fhir_element(kind, data)
        except Exception as e:  # pydantic.ValidationError, or an unknown resourceType
            failed += 1
            print(f"{path}: {kind} is not valid FHIR R4:\n{e}", file=sys.stderr)
            continue
        broken = rules(data)
        if broken:
            failed += 1
            print(f"{path}: {kind} breaks FHIR R4 rules:\n  " + "\n  ".join(broken), file=sys.stderr)
        else:
            print(f"{path}: {kind} valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
