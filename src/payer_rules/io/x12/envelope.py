"""The interchange envelope every X12 file payer-rules writes shares (ISA / GS ... GE / IEA).

The 835, the 277CA and the 999 differ in their transaction sets, not in how an interchange
opens and closes: one interchange, one functional group, control numbers from the production
time (``SOURCE_DATE_EPOCH`` makes them reproducible), ISA15 ``T`` for these simulated answers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata

__all__ = ["Interchange", "clean", "production_time"]


_DELIMITERS = re.compile(r"[*~:^\r\n]")


def clean(value: str | None, limit: int = 60) -> str:
    """Element text in the X12 character set, without delimiters (they would split the element)."""
    if not value:
        return ""
    if value.isascii() and _DELIMITERS.search(value) is None:  # the usual case, in one scan
        return value.strip()[:limit]
    if not value.isascii():
        value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    for ch in "*~:^\r\n":
        value = value.replace(ch, " ")
    return value.strip()[:limit]


def production_time() -> dt.datetime:
    """When a file is produced: now, or ``SOURCE_DATE_EPOCH`` (the reproducible-builds
    convention) so that two runs on the same claims write the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.now()


class Interchange:
    """Who sends an X12 file to whom, and when: writes its ISA / GS header and GE / IEA trailer."""

    __slots__ = ("now", "receiver", "receiver_qualifier", "sender", "sender_qualifier", "usage")

    def __init__(
        self,
        sender: str,
        receiver: str,
        *,
        test: bool = True,
        now: dt.datetime | None = None,
        sender_qualifier: str = "ZZ",
        receiver_qualifier: str = "ZZ",
    ) -> None:
        self.sender = sender
        self.receiver = receiver
        self.sender_qualifier = sender_qualifier
        self.receiver_qualifier = receiver_qualifier
        self.usage = "T" if test else "P"
        self.now = now or production_time()

    @property
    def control(self) -> str:
        """ISA13 / IEA02: the production time of day, nine digits."""
        return f"{int(self.now.strftime('%H%M%S')):09d}"

    def header(self, functional_id: str, guide: str) -> list[str]:
        """The ISA and GS segments (without terminators) of a file of one functional group."""
        now = self.now
        return [
            f"ISA*00*{'':10}*00*{'':10}*{self.sender_qualifier}*{clean(self.sender, 15):<15}*"
            f"{self.receiver_qualifier}*{clean(self.receiver, 15):<15}*"
            f"{now:%y%m%d}*{now:%H%M}*^*00501*{self.control}*0*{self.usage}*:",
            f"GS*{functional_id}*{clean(self.sender, 15)}*{clean(self.receiver, 15)}*{now:%Y%m%d}*"
            f"{now:%H%M}*1*X*{guide}",
        ]

    def trailer(self, transaction_sets: int) -> list[str]:
        """The GE and IEA segments closing a file of one functional group."""
        return [f"GE*{transaction_sets}*1", f"IEA*1*{self.control}"]
