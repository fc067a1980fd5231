"""Medicare Part A inpatient acute care (type of bill 11x): MS-DRG grouping, IPPS, Part A cost sharing.

A separate part of the Medicare plugin: same payer id (``medicare``), one owner, but its own
data (``data/ipps.toml``, the ``ipps-*`` imports) and an optional dependency, the ``msdrg``
grouper (``payer-rules-medicare[inpatient]``), so the Part B plugin installs everywhere.
"""
