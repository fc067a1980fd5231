"""Structural validation of FHIR input with ``fhir.resources`` (its R4B models), as located errors.

``fhir.resources`` checks what the FHIR R4 StructureDefinitions say of every element: required
elements (``Claim.insurance.focal``), cardinality (a list where the element repeats), datatypes
and their regular expressions (a ``date``, a ``decimal``, an ``id``), choice types
(``diagnosis[x]``) and elements that do not exist (a misspelt ``servicedDte``). It does not check
profiles (slices, must-support, value-set bindings): that takes the HL7 Java validator.

Each pydantic error becomes a :class:`StructuralError` with the JSON path of the element from
the document's root (``$.entry[0].resource.item[0].servicedDate``) and a message in FHIR's terms,
not pydantic's. R4B's models are R4's for every element payer-rules reads (Claim, ClaimResponse,
Bundle, Patient, Coverage, Organization, Practitioner ...); ``fhir.resources`` has no R4 package.

It costs: about 8 times what reading the same Bundle costs, and a second or more to import the
models (``benchmarks/bench_fhir_validate.py``). So it runs on every prior-authorization request
(one Bundle a call, where a structural error should refuse the request) and on claim files only
when ``PAYER_RULES_FHIR_VALIDATE=1``. ``fhir.resources`` is the optional extra
``payer-rules[fhir-validate]``; without it, PAS requests are read unvalidated and the switch is a
usage error naming the extra.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from payer_rules.errors import UsageError, echo

__all__ = ["VALIDATE_ENV", "StructuralError", "available", "structural_errors", "validation_wanted"]

#: ``PAYER_RULES_FHIR_VALIDATE=1``: validate FHIR claim files structurally before reading them.
VALIDATE_ENV = "PAYER_RULES_FHIR_VALIDATE"


@frozen
class StructuralError:
    """One element that breaks FHIR R4's structure.

    Args:
        path: from the document's root: keys and list positions.
        message: what is wrong and what was expected.
    """

    path: tuple[str | int, ...]
    message: str

    def json_path(self, start: int = 0) -> str:
        """``$.item[0].servicedDate``: the path from ``path[start:]``."""
        text = "$"
        for part in self.path[start:]:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text


def available() -> bool:
    try:
        import fhir.resources.R4B  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def validation_wanted() -> bool:
    """Whether claim files are to be validated (``PAYER_RULES_FHIR_VALIDATE=1``); a usage error
    when they are and ``fhir.resources`` is not installed."""
    if os.environ.get(VALIDATE_ENV) != "1":
        return False
    if not available():
        msg = (
            f"{VALIDATE_ENV}=1 validates FHIR input with fhir.resources, which is not installed: "
            "install the extra payer-rules[fhir-validate]"
        )
        raise UsageError(msg)
    return True


def structural_errors(data: Mapping[str, Any]) -> list[StructuralError]:
    """Every structural error of the resource ``data`` (a Bundle's entries included)."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    kind = data.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except (KeyError, ValueError, LookupError):
        return [StructuralError(("resourceType",), f"{echo(kind)} is not a FHIR R4 resource type")]
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [_error(e, data) for e in exc.errors(include_url=False)]
    except Exception as exc:
        # fhir_core fails with a KeyError on some inputs (an entry whose resourceType is empty):
        # the input is not valid FHIR, whatever broke on it
        stopped = f"{type(exc).__name__} {echo(str(exc))}"
        return [StructuralError((), f"not a valid FHIR R4 {kind} (the validator stopped on it: {stopped})")]
    return []


def _error(error: Mapping[str, Any], data: Mapping[str, Any]) -> StructuralError:
    path = tuple(p for p in error.get("loc", ()) if isinstance(p, (str, int)))
    name = next((p for p in reversed(path) if isinstance(p, str)), "the element")
    kind = str(error.get("type", ""))
    given = error.get("input")
    if kind.endswith("missing"):
        message = f"{name} is required here (FHIR R4 cardinality 1..1); it is missing"
    elif kind == "extra_forbidden":
        message = f"{name} is not an element of this FHIR R4 resource or datatype"
    elif kind == "list_type":
        message = f"{name} repeats in FHIR R4: expected a list, got {echo(given)}"
    elif kind in ("json_invalid", "model_type", "dict_type"):
        message = f"{name}: expected an object (a FHIR datatype or backbone element), got {echo(given)}"
    else:
        text = str(error.get("msg", "")).removeprefix("Value error, ")
        message = f"{name}: {text}, got {echo(given)}"
    return StructuralError(path, message)
