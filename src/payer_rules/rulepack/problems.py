"""Located rulepack errors: ``file:line: SUBJECT: message``, one line each, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from attrs import frozen

from payer_rules.errors import PayerRulesError, one_line

__all__ = ["Problem", "RulepackError"]


@frozen(kw_only=True)
class Problem:
    """One thing wrong with a pack.

    Args:
        file: the pack file (as given, so messages match what the user typed).
        line: 1-based line in the file, when it can be known.
        subject: the rule code when it is known, else the table (``[pack]``, ``rules[3]``).
        message: what is wrong and what was expected.
        column: 1-based column, for TOML syntax errors only.
    """

    file: str
    line: int | None
    subject: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return one_line(f"{where}: {self.subject}: {self.message}")


class RulepackError(PayerRulesError):
    """One or more packs do not load; ``str()`` is one located line per problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        # one line per problem, each escaped and bounded by Problem.__str__
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def single(cls, file: str | Path, subject: str, message: str, line: int | None = None) -> RulepackError:
        return cls([Problem(file=str(file), line=line, subject=subject, message=message)])


def raise_if_any(problems: Iterable[Problem]) -> None:
    found = list(problems)
    if found:
        raise RulepackError(found)
