"""State Medicaid programs for payer-rules: a shared Medicaid base and one overlay per state.

Each state is a folder under ``states/`` (or under a directory named in
``PAYER_RULES_MEDICAID_STATES``): a ``state.toml`` definition and the state's rulepacks. The
Python here is the behaviour every Medicaid program shares: payer of last resort, nominal
copays with the federal exemptions and the 5%-of-income cap, timely filing by the state's
clock, NCCI edits from Medicaid's own tables. See ``docs/medicaid.md``.
"""

from payer_rules.distributions import version

try:
    __version__ = version("payer-rules-medicaid")
except LookupError:  # pragma: no cover
    __version__ = "0+unknown"

SOURCE_NAME = "payer-rules-medicaid"
#: Directories (``os.pathsep``-separated) holding further state folders: a new state is data.
STATES_ENV = "PAYER_RULES_MEDICAID_STATES"
