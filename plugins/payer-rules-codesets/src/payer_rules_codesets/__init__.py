"""ICD-10-CM FY2025 and FY2026 for payer-rules, usable with no import step."""

from payer_rules.distributions import version

try:
    __version__ = version("payer-rules-codesets")
except LookupError:  # pragma: no cover
    __version__ = "0+unknown"
