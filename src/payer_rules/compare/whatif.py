"""What-if: re-run a claim with a change and show what moved and why.

Changes are small assignments on the claim's JSON form, so every field of the documented claim
format can be changed and the changed claim is validated exactly like an input claim:

* ``line2.modifiers+=59`` / ``line2.modifiers-=59`` / ``line2.modifiers=25,59``
* ``place_of_service=22`` (claim) or ``line1.place_of_service=22`` (one line)
* ``service_date=2026-03-01`` moves every line; ``line1.service_date=2026-03-01`` one line
* ``line1.units=3``, ``line1.procedure=99214``, ``diagnoses=E11.9,I10``, ``received_date=2026-04-01``
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from attrs import frozen

from payer_rules.errors import InputError, UsageError
from payer_rules.io.converters import claim_converter
from payer_rules.io.json_claims import structure_claim
from payer_rules.models import Claim
from payer_rules.results import ClaimResult, Finding

if TYPE_CHECKING:
    from payer_rules.engine import Engine

_CHANGE = re.compile(r"^(?:line(?P<line>\d+)\.)?(?P<field>[a-z_]+)\s*(?P<op>\+=|-=|=)\s*(?P<value>.*)$")
_LIST_FIELDS = {"modifiers", "diagnosis_pointers", "prior_authorizations", "diagnoses"}
_CONVERTER = claim_converter()


@frozen
class Change:
    text: str
    line: int | None
    field: str
    op: str
    value: str


def parse_change(text: str) -> Change:
    m = _CHANGE.match(text.strip())
    if not m:
        raise UsageError(
            f"cannot read change {text!r}; expected e.g. 'line2.modifiers+=59', "
            "'place_of_service=22' or 'line1.service_date=2026-03-01'"
        )
    return Change(text, int(m["line"]) if m["line"] else None, m["field"], m["op"], m["value"].strip())


def _value(field: str, raw: str) -> Any:
    if field == "diagnoses":
        return [{"code": v.strip()} for v in raw.split(",") if v.strip()]
    if field == "diagnosis_pointers":
        return [int(v) for v in raw.split(",") if v.strip()]
    if field in _LIST_FIELDS:
        return [v.strip() for v in raw.split(",") if v.strip()]
    return raw


def apply_changes(claim: Claim, changes: Sequence[Change]) -> Claim:
    data: dict[str, Any] = _CONVERTER.unstructure(claim)
    for change in changes:
        targets: list[dict[str, Any]]
        if change.line is not None:
            if not 0 < change.line <= len(data["lines"]):
                raise UsageError(f"{change.text}: claim {claim.id} has {len(data['lines'])} line(s)")
            targets = [data["lines"][change.line - 1]]
        elif change.field in data:  # every field is there: the claim was unstructured whole
            targets = [data]
        elif change.field in data["lines"][0]:
            targets = data["lines"]  # a line field without a line number: every line
        else:
            raise UsageError(f"{change.text}: claims have no field {change.field!r}")
        if change.field not in targets[0]:
            raise UsageError(f"{change.text}: service lines have no field {change.field!r}")
        for target in targets:
            new = _value(change.field, change.value)
            if change.op == "=":
                target[change.field] = new
                continue
            if change.field not in _LIST_FIELDS:
                lists = ", ".join(sorted(_LIST_FIELDS))
                raise UsageError(f"{change.text}: += and -= work on lists ({lists})")
            current = list(target.get(change.field) or [])
            if change.op == "+=":
                current += [v for v in new if v not in current]
            else:
                current = [v for v in current if v not in new]
            target[change.field] = current
    result = structure_claim(data, f"what-if on claim {claim.id}")
    if isinstance(result, InputError):
        raise UsageError(f"the changed claim is not valid: {result}")
    return result


@frozen(kw_only=True)
class Movement:
    """How one payer's outcome moved between the original and the changed claim."""

    payer: str
    before: ClaimResult
    after: ClaimResult
    #: in a chain: its label (``medicare>medicaid-ny``) and the payer's place in it (0 first)
    chain: str = ""
    position: int = 0
    #: on a chain's last payer: ((paid together, patient owes) before, (...) after) for the chain
    chain_totals: tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]] | None = None

    @staticmethod
    def _key(f: Finding) -> tuple[str, int | None, str | None, str | None, str]:
        return (f.code, f.line, f.group, f.carc, f.message)

    @staticmethod
    def _text(f: Finding) -> str:
        outcome = f" {f.group}-{f.carc}" if f.carc else ""
        return f"{f.code}{outcome} (line {f.line or '-'}): {f.message}"

    @property
    def added(self) -> list[str]:
        before = {self._key(f) for f in self.before.findings}
        return [self._text(f) for f in self.after.findings if self._key(f) not in before]

    @property
    def removed(self) -> list[str]:
        after = {self._key(f) for f in self.after.findings}
        return [self._text(f) for f in self.before.findings if self._key(f) not in after]

    @property
    def moved(self) -> bool:
        b, a = self.before, self.after
        money = (b.status, b.allowed, b.paid, b.patient_responsibility)
        return money != (a.status, a.allowed, a.paid, a.patient_responsibility) or bool(
            self.added or self.removed
        )

    def to_dict(self) -> dict[str, Any]:
        def outcome(r: ClaimResult) -> dict[str, Any]:
            return {
                "status": str(r.status),
                "allowed": f"{r.allowed:.2f}",
                "paid": f"{r.paid:.2f}",
                "patient_responsibility": f"{r.patient_responsibility:.2f}",
                "lines": [
                    {
                        "line": ln.line,
                        "procedure": ln.procedure,
                        "modifiers": list(ln.modifiers),
                        "status": str(ln.status),
                        "allowed": f"{ln.allowed:.2f}",
                        "paid": f"{ln.paid:.2f}",
                    }
                    for ln in r.lines
                ],
            }

        chain: dict[str, Any] = {}
        if self.chain:
            chain = {"chain": self.chain, "position": self.position}
        if self.chain_totals is not None:
            (paid_b, patient_b), (paid_a, patient_a) = self.chain_totals
            chain["chain_before"] = {"paid": f"{paid_b:.2f}", "patient_responsibility": f"{patient_b:.2f}"}
            chain["chain_after"] = {"paid": f"{paid_a:.2f}", "patient_responsibility": f"{patient_a:.2f}"}
        return {
            "payer": self.payer,
            **chain,
            "claim_id": self.before.claim_id,
            "before": outcome(self.before),
            "after": outcome(self.after),
            "moved": self.moved,
            "paid_change": f"{self.after.paid - self.before.paid:.2f}",
            "findings_added": self.added,
            "findings_removed": self.removed,
        }


def movements(
    engine: Engine,
    claim: Claim,
    changed: Claim,
    payers: Sequence[str],
    *,
    as_of: dt.date | None = None,
    received_date: dt.date | None = None,
) -> list[Movement]:
    """The claim and its changed copy judged by each payer on its own, each in a fresh session."""
    from payer_rules.context import Session

    found = []
    for payer in payers:
        before = engine.adjudicate(claim, payer, session=Session(), as_of=as_of, received_date=received_date)
        after = engine.adjudicate(changed, payer, session=Session(), as_of=as_of, received_date=received_date)
        found.append(Movement(payer=engine.payer(payer).id, before=before, after=after))
    return found


def write_movements(stream: TextIO, changes: Sequence[str], moves: Sequence[Movement]) -> None:
    """What moved, as ``what-if --format table`` prints it (and the Claim Check page shows it)."""
    w = stream.write
    w(f"change: {'; '.join(changes)}\n")
    for m in moves:
        b, a = m.before, m.after
        w(
            f"\nclaim {b.claim_id}  payer {m.payer}: {b.status} -> {a.status}, "
            f"paid {b.paid} -> {a.paid} ({a.paid - b.paid:+}), "
            f"patient {b.patient_responsibility} -> {a.patient_responsibility}\n"
        )
        for lb, la in zip(b.lines, a.lines, strict=False):
            was = (lb.status, lb.paid, lb.allowed, lb.modifiers)
            if was != (la.status, la.paid, la.allowed, la.modifiers):
                w(f"  line {la.line} {la.procedure}: {lb.status} {lb.paid} -> {la.status} {la.paid}\n")
        for text in m.removed:
            w(f"  - no longer: {text}\n")
        for text in m.added:
            w(f"  + now: {text}\n")
        if not m.moved:
            w("  nothing moved\n")
        if m.chain_totals is not None:
            (paid_b, patient_b), (paid_a, patient_a) = m.chain_totals
            w(
                f"\nclaim {b.claim_id}  chain {m.chain}: paid together {paid_b} -> {paid_a} "
                f"({paid_a - paid_b:+}), the patient owes {patient_b} -> {patient_a}\n"
            )


def _chain_totals(label: str, results: Sequence[ClaimResult]) -> tuple[Decimal, Decimal]:
    """(paid together, the patient's responsibility after the chain) over the claim's lines."""
    from payer_rules.compare.diff import compare_chains

    outcomes = [o for row in compare_chains([(label, results)]) for o in row.outcomes]
    return (
        sum((o.paid for o in outcomes), Decimal("0.00")),
        sum((o.patient_responsibility for o in outcomes), Decimal("0.00")),
    )


def chain_movements(
    engine: Engine,
    claim: Claim,
    changed: Claim,
    payers: Sequence[str],
    *,
    as_of: dt.date | None = None,
    received_date: dt.date | None = None,
) -> list[Movement]:
    """The claim and its changed copy judged through the chain ``payers`` (each in a fresh
    session): one movement per payer, in chain order, the last carrying the chain's totals. A
    secondary's movement includes what the primary's move changed in its COB input."""
    from payer_rules.context import Session

    def judge(item: Claim) -> list[ClaimResult]:
        pairs = engine.adjudicate_pairs(
            [item], payers, session=Session(), as_of=as_of, received_date=received_date, chain=True
        )
        return [result for _, result in pairs]

    before, after = judge(claim), judge(changed)
    label = ">".join(r.payer for r in before)
    totals = (_chain_totals(label, before), _chain_totals(label, after))
    return [
        Movement(
            payer=b.payer,
            before=b,
            after=a,
            chain=label,
            position=n,
            chain_totals=totals if n == len(before) - 1 else None,
        )
        for n, (b, a) in enumerate(zip(before, after, strict=True))
    ]
