"""payer-rules: a pluggable US payer-rules engine.

A claim goes in; for each payer it answers what that payer would do with it, line by line,
and says why. Embed it with :class:`Engine` and the claim functions below; extend it with
plugins that implement the hooks in :mod:`payer_rules.hookspecs` (mark them with :data:`hookimpl`).

The names in ``__all__`` are the public API; they are imported on first use, so
``import payer_rules`` (and ``payer-rules --help``) stays light.
"""

# No ``from __future__ import annotations`` here: it would leave a stray ``annotations`` name in
# the package namespace.
import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:  # what type checkers see; at run time ``__getattr__`` imports on first use
    from payer_rules.engine import Engine, Stages
    from payer_rules.errors import InputError, PayerRulesError, UsageError
    from payer_rules.hookspecs import hookimpl
    from payer_rules.io.claims import (
        claim_from_dict,
        claim_from_file,
        claim_from_json,
        claim_to_dict,
        claim_to_json,
        claims_from_file,
        claims_from_json,
    )
    from payer_rules.io.json_results import result_to_dict, result_to_json
    from payer_rules.io.readers import read_claims
    from payer_rules.models import Claim, Coverage, Diagnosis, Person, Provider, ServiceLine
    from payer_rules.payers import PayerInfo, PayerKind
    from payer_rules.results import ClaimResult, ClaimStatus, Finding, LineResult, LineStatus, Severity
    from payer_rules.rules import RuleInfo

    __version__: str

#: public name -> the module that defines it
_LAZY: dict[str, str] = {
    "hookimpl": "payer_rules.hookspecs",
    "Engine": "payer_rules.engine",
    "Stages": "payer_rules.engine",
    "Claim": "payer_rules.models",
    "ServiceLine": "payer_rules.models",
    "Diagnosis": "payer_rules.models",
    "Person": "payer_rules.models",
    "Coverage": "payer_rules.models",
    "Provider": "payer_rules.models",
    "ClaimResult": "payer_rules.results",
    "LineResult": "payer_rules.results",
    "Finding": "payer_rules.results",
    "Severity": "payer_rules.results",
    "ClaimStatus": "payer_rules.results",
    "LineStatus": "payer_rules.results",
    "PayerInfo": "payer_rules.payers",
    "PayerKind": "payer_rules.payers",
    "RuleInfo": "payer_rules.rules",
    "PayerRulesError": "payer_rules.errors",
    "InputError": "payer_rules.errors",
    "UsageError": "payer_rules.errors",
    "claim_from_dict": "payer_rules.io.claims",
    "claim_from_json": "payer_rules.io.claims",
    "claim_from_file": "payer_rules.io.claims",
    "claims_from_json": "payer_rules.io.claims",
    "claims_from_file": "payer_rules.io.claims",
    "claim_to_dict": "payer_rules.io.claims",
    "claim_to_json": "payer_rules.io.claims",
    "read_claims": "payer_rules.io.readers",
    "result_to_dict": "payer_rules.io.json_results",
    "result_to_json": "payer_rules.io.json_results",
}

__all__ = [
    "Claim",
    "ClaimResult",
    "ClaimStatus",
    "Coverage",
    "Diagnosis",
    "Engine",
    "Finding",
    "InputError",
    "LineResult",
    "LineStatus",
    "PayerInfo",
    "PayerKind",
    "PayerRulesError",
    "Person",
    "Provider",
    "RuleInfo",
    "ServiceLine",
    "Severity",
    "Stages",
    "UsageError",
    "__version__",
    "claim_from_dict",
    "claim_from_file",
    "claim_from_json",
    "claim_to_dict",
    "claim_to_json",
    "claims_from_file",
    "claims_from_json",
    "hookimpl",
    "read_claims",
    "result_to_dict",
    "result_to_json",
]


def _version() -> str:
    from payer_rules.distributions import version

    try:
        return version("payer-rules")
    except LookupError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def __getattr__(name: str) -> object:
    if name == "__version__":
        value: object = _version()
    elif name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'payer_rules' has no attribute {name!r}")
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return list(__all__)
