"""National Correct Coding Initiative edits for Medicare practitioner claims.

- :mod:`.ptp`: procedure-to-procedure edits (column 1 / column 2 pairs), importer and evaluator.
- :mod:`.mue`: medically unlikely edits (units per line or per date of service), importer and
  evaluator.
- :mod:`.lookup`: the per-process indexes both edits read through (one probe per code, cached).

Both read the tables imported into the data directory (``payer-rules data import ncci-ptp`` /
``ncci-mue``); with nothing imported they find nothing, and say so in no finding: NCCI has no
starter pack.
"""
