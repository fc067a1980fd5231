"""Large batches: the one partitioning and ordering that ``--jobs N`` and Spark share.

* :mod:`payer_rules.batch.partition` — route claims by member, judge a partition in input order;
* :mod:`payer_rules.batch.parallel` — ``--jobs N`` with worker processes;
* :mod:`payer_rules.batch.render` — results rendered in the workers, joined in order;
* :mod:`payer_rules.spark` — the same on Apache Spark (``payer-rules[spark]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payer_rules.batch.partition import RunOptions, TextUnit, bucket_of, judge, routing_key

__all__ = ["RunOptions", "TextUnit", "bucket_of", "judge", "routing_key"]


def __getattr__(name: str) -> Any:
    """The partitioning names, imported on first use: a serial run needs only :mod:`.collector`."""
    if name in __all__:
        from payer_rules.batch import partition

        return getattr(partition, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
