"""Large batches: the one partitioning and ordering that ``--jobs N`` and Spark share.

* :mod:`payer_rules.batch.partition` — route claims by member, judge a partition in input order;
* :mod:`payer_rules.batch.parallel` — ``--jobs N`` with worker processes;
* :mod:`payer_rules.batch.render` — results rendered in the workers, joined in order;
* :mod:`payer_rules.spark` — the same on Apache Spark (``payer-rules[spark]``).
"""

from __future__ import annotations

from payer_rules.batch.partition import RunOptions, TextUnit, bucket_of, judge, routing_key

__all__ = ["RunOptions", "TextUnit", "bucket_of", "judge", "routing_key"]
