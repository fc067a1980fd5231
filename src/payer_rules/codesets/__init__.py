"""Code sets by date of service: ICD-10-CM, ICD-10-PCS, HCPCS Level II and CPT.

Plugins register versions through ``register_code_sets``; the importers (``payer-rules data
import icd10cm|hcpcs FILE``) add more from the official files. The engine builds one
:class:`CodeSetRegistry` at start (``engine.code_sets``) and hooks reach it as
``context.code_sets``.
"""

from __future__ import annotations

from payer_rules.codesets.registry import (
    CPT,
    HCPCS,
    ICD10CM,
    ICD10PCS,
    CodeSetRegistry,
    CodeSetVersion,
    CodeStatus,
    CodeTable,
    Outcome,
    normalize,
    procedure_system,
)

__all__ = [
    "CPT",
    "HCPCS",
    "ICD10CM",
    "ICD10PCS",
    "CodeSetRegistry",
    "CodeSetVersion",
    "CodeStatus",
    "CodeTable",
    "Outcome",
    "normalize",
    "procedure_system",
]
