"""The walk: envelopes (ISA / GS / ST and their trailers), HL levels and the loops of each claim.

Segments are read once, in order; each is handed to the loop it belongs to (:mod:`.header`,
:mod:`.lines`), and a claim is finished (:mod:`.build`) at the next CLM, HL or SE.

:mod:`.units` cuts a file into one claim per work unit by knowing which segments this walk keeps
outside a claim and which ones it refuses there; a change to that here must be made there too
(``tests/test_batch_units.py`` reads every one-segment change of the example files both ways).
A unit is walked in parts (:class:`WalkState`): its envelope and the HL levels above its claim
once per worker, then each claim from where they leave the walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from payer_rules.errors import InputError
from payer_rules.io.x12.reader_837.build import build_claim
from payer_rules.io.x12.reader_837.header import clm, hi, nm1
from payer_rules.io.x12.reader_837.lines import cas, sv1, sv2
from payer_rules.io.x12.reader_837.loops import (
    INSTITUTIONAL_GUIDES,
    PROFESSIONAL_GUIDES,
    Draft,
    Level,
    Line,
    LineError,
    OtherPayer,
    Party,
    Transaction,
)
from payer_rules.io.x12.reader_837.values import checked, parse_amount, parse_date, parse_period
from payer_rules.io.x12.segments import Segment, X12Error, excerpt, tokenize
from payer_rules.models import Claim, OtherPayerAdjustment, Sex

__all__ = ["Reader", "WalkState"]

_SEX = {"M": Sex.MALE, "F": Sex.FEMALE}


class WalkState:
    """Where the walk of a work unit's segments stands between two parts of it.

    The envelope (ISA / GS / ST header) and the HL levels above a claim are walked once and
    kept; each claim beneath them is walked on from a copy. Nothing walked later changes the
    transaction set or the levels a state holds: the segments after a level change a new level
    or a claim's draft (the walk records a problem on a level only while no claim is open, and
    a unit has no BHT after its header).

    Args:
        txn: the transaction set (ST) the segments are in.
        levels: the HL levels by HL01 that later levels may name as their parent.
        level: the HL level the next segments are in.
        component: ISA16, the component separator.
    """

    __slots__ = ("component", "level", "levels", "txn")

    def __init__(
        self,
        txn: Transaction | None = None,
        levels: dict[str, Level] | None = None,
        level: Level | None = None,
        component: str = ":",
    ) -> None:
        self.txn = txn
        self.levels: dict[str, Level] = levels if levels is not None else {}
        self.level = level
        self.component = component

    def copy(self) -> WalkState:
        """The same place, for a walk to go on from while this one is kept."""
        return WalkState(self.txn, dict(self.levels), self.level, self.component)


class Reader:
    """One pass over an 837 file; ``component`` is the ISA16 separator of the current interchange."""

    component = ":"

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name

    def error(
        self,
        seg: Segment | X12Error | None,
        message: str,
        claim_id: str | None = None,
        *,
        envelope: bool = False,
    ) -> InputError:
        """A located error; ``envelope`` when it stands for no claim (count in = count out)."""
        if seg is None:
            return InputError(self.name, message, claim_id=claim_id, envelope=envelope)
        if isinstance(seg, X12Error):
            return InputError(f"{self.name}: {seg.where}", message, claim_id=claim_id, envelope=envelope)
        return InputError(
            f"{self.name}: segment {seg.number} ({excerpt(seg.raw)})",
            message,
            claim_id=claim_id,
            envelope=envelope,
        )

    def envelope(self, seg: Segment | X12Error | None, message: str) -> InputError:
        """An envelope problem (trailer counts, control numbers): reported, no result of its own."""
        return self.error(seg, message, envelope=True)

    # -- the walk --------------------------------------------------------------------------------

    def read(
        self, tokens: Iterable[Segment | X12Error] | None = None, *, unit: WalkState | None = None
    ) -> Iterator[Claim | InputError]:
        """Every claim and located error of the text, in order.

        :param tokens: the segments to walk instead of the whole text's (a work unit's).
        :param unit: the tokens are part of one claim's work unit (:mod:`.units`): the walk
            starts where ``unit`` stands and leaves it where the tokens end (pass a
            :meth:`~WalkState.copy` of a state to keep); a claim is read as it is in its file,
            and what a unit leaves out (trailers, the other claims) is no error.
        """
        isa: Segment | None = None
        gs: Segment | None = None
        gs_count = 0
        st_count = 0
        txn: Transaction | None = None
        skip_txn = False
        skip_reason = ""
        levels: dict[str, Level] = {}
        level: Level | None = None
        if unit is not None:
            txn, levels, level, self.component = unit.txn, unit.levels, unit.level, unit.component
        draft: Draft | None = None
        party: Party | None = None
        other: OtherPayer | None = None
        line: Line | None = None
        svd: tuple[Decimal, list[OtherPayerAdjustment]] | None = None
        last: Segment | None = None
        saw_any = False

        for seg in tokenize(self.text) if tokens is None else tokens:
            if isinstance(seg, X12Error):
                if draft is not None:
                    draft.problems.append((Segment(seg.number, seg.raw, [""]), seg.message))
                else:
                    # text that stops the reading stands for the claims in it: one error result
                    yield self.error(seg, seg.message, envelope=not seg.fatal)
                continue
            saw_any = True
            last = seg
            sid = seg.elements[0]
            if skip_txn and sid not in ("SE", "GE", "IEA", "ISA", "GS", "ST"):
                if sid == "CLM":  # one error per claim the unsupported transaction set holds
                    claim_id = seg.get(1) or None
                    yield self.error(seg, f"claim {claim_id}: {skip_reason}", claim_id=claim_id)
                continue
            try:
                # -- parties and service lines first: they are most of the segments -------------
                if sid == "NM1":
                    party = nm1(seg, level, draft, other, line)
                elif sid in ("N3", "N4", "DMG", "PRV"):
                    if sid == "PRV":
                        if party is not None:
                            party.taxonomy = seg.get(3) or None
                        elif level is not None and level.code == "20" and draft is None:
                            level.taxonomy = seg.get(3) or None  # PRV*BI comes before NM1*85
                        continue
                    if party is None:
                        continue
                    if sid == "N3":
                        party.line1 = seg.get(1) or None
                    elif sid == "N4":
                        party.city = seg.get(1) or None
                        party.state = seg.get(2) or None
                        party.zip = seg.get(3) or None
                    else:
                        if seg.get(2):
                            party.birth = parse_date(seg.get(2)) if seg.get(1) in ("D8", "") else None
                        party.sex = _SEX.get(seg.get(3), Sex.UNKNOWN)
                elif sid == "LX":
                    if draft is None:
                        raise ValueError("LX outside a claim; expected CLM (loop 2300) before the lines")
                    line = Line(seg)
                    draft.lines.append(line)
                    party = None
                    svd = None
                elif sid == "SV1":
                    sv1(seg, line, draft, self.component)
                elif sid == "SV2":
                    sv2(seg, line, draft, self.component)
                elif sid == "DTP":
                    qualifier = seg.get(1)
                    if draft is None:
                        if qualifier == "472":
                            raise ValueError("DTP*472 outside a claim")
                        continue
                    if qualifier == "472":
                        start, end = parse_period(seg.get(2), seg.get(3))
                        if line is None:
                            draft.statement = draft.statement or (start, end)
                        else:
                            line.date, line.date_end = start, end
                    elif qualifier == "434":
                        draft.statement = parse_period(seg.get(2), seg.get(3))
                    elif qualifier == "435":
                        draft.admission = parse_period(seg.get(2), seg.get(3))[0]
                    elif qualifier == "573":
                        when = parse_period(seg.get(2), seg.get(3))[0]
                        if other is not None and line is None:
                            other.paid_date = when
                    # other dates (onset, accident, discharge hour ...) carry nothing we judge
                elif sid == "CLM":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = None
                    line = None
                    other = None
                    party = None
                    if txn is None:
                        raise ValueError("CLM outside a transaction set; expected ST*837 before it")
                    if level is None or level.find("22") is None:
                        draft = Draft(seg, level or Level("22", None), txn)
                        draft.problems.append((seg, "no subscriber loop (2000B HL*..*22) before this claim"))
                        continue
                    draft = Draft(seg, level, txn)
                    clm(seg, draft, self.component)
                elif sid == "REF":
                    qualifier = seg.get(1)
                    if qualifier == "G1":
                        if draft is None:
                            raise ValueError("REF*G1 (prior authorization) outside a claim")
                        if seg.get(2):
                            draft.prior_auth.append(seg.get(2))
                    elif qualifier == "EI" and party is not None:
                        party.tax_id = seg.get(2) or None
                    elif qualifier == "G2" and draft is None and level is not None and party is not None:
                        if party is level.party_payer:  # 2010BB: billing provider secondary id
                            level.ccn = checked("provider_ccn", seg.get(2) or None)
                    elif qualifier == "F8" and draft is not None and other is None:
                        draft.original_id = seg.get(2) or None
                elif sid == "HI":
                    if draft is None:
                        raise ValueError("HI outside a claim; expected it in loop 2300 after CLM")
                    hi(seg, draft, self.component)
                elif sid == "SBR":
                    if draft is not None:
                        other = OtherPayer(seg)
                        draft.others.append(other)
                        party = None
                        line = None
                    elif level is not None and level.code == "22":
                        level.responsibility = seg.get(1)
                        level.relationship = seg.get(2)
                        level.group_number = seg.get(3) or None
                        level.group_name = seg.get(4) or None
                        level.filing = seg.get(9) or None
                    else:
                        raise ValueError("SBR outside a subscriber loop (2000B HL*..*22)")
                elif sid == "CAS":
                    adjustments = cas(seg)
                    if svd is not None:
                        svd[1].extend(adjustments)
                    elif other is not None and line is None:
                        other.adjustments.extend(adjustments)
                elif sid == "AMT":
                    if other is not None and line is None and seg.get(1) == "D":
                        other.paid = parse_amount(seg.get(2), "AMT02 payer paid amount")
                elif sid == "SVD":
                    if line is None or draft is None:
                        raise ValueError("SVD outside a service line; expected it after LX / SV1")
                    svd = (parse_amount(seg.get(2), "SVD02 paid amount"), [])
                    line.other[seg.get(1)] = svd
                    party = None
                elif sid == "HL":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = line = other = party = None
                    svd = None
                    code = seg.get(3)
                    parent_id = seg.get(2)
                    parent = levels.get(parent_id) if parent_id else None
                    level = Level(code, parent)
                    levels[seg.get(1)] = level
                    if parent_id and parent is None:
                        level.problems.append(
                            (
                                seg,
                                f"HL02 names parent {parent_id!r}, which is no earlier HL01 in this "
                                "transaction set; expected the id of the loop above it",
                            )
                        )
                    if code not in ("20", "22", "23"):
                        level.problems.append(
                            (
                                seg,
                                f"HL03 level code {code!r} is not 20 (billing provider), 22 (subscriber) "
                                "or 23 (patient)",
                            )
                        )
                elif sid == "PAT":
                    if level is not None and level.code == "23":
                        level.relationship = seg.get(1)
                elif sid == "CL1":
                    if draft is not None:
                        draft.cl1 = (
                            checked("admission_type", seg.get(1) or None),
                            checked("admission_source", seg.get(2) or None),
                            checked("discharge_status", seg.get(3) or None),
                        )
                elif sid == "LIN":
                    if line is not None and seg.get(2) == "N4":
                        line.ndc = seg.get(3) or None
                elif sid == "BHT":
                    if txn is not None:
                        try:
                            txn.received = parse_date(seg.get(4))
                        except ValueError as exc:
                            txn.problems.append((seg, f"BHT04 (the date the claims were sent): {exc}"))
                elif sid == "ST":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = line = other = party = None
                    level = None
                    levels = {}
                    if txn is not None:
                        yield self.envelope(
                            txn.segment, f"transaction set {txn.control} has no SE before the next ST"
                        )
                    st_count += 1
                    skip_txn = False
                    version = seg.get(3) or (gs.get(8) if gs is not None else "")
                    txn = Transaction(seg, version)
                    if seg.get(1) != "837":
                        skip_txn = True
                        skip_reason = (
                            f"transaction set {seg.get(1)!r} is not a claim; expected 837 "
                            "(005010X222A1 professional or 005010X223A2 institutional)"
                        )
                    elif not any(g in version for g in PROFESSIONAL_GUIDES + INSTITUTIONAL_GUIDES):
                        skip_txn = True
                        skip_reason = (
                            f"implementation guide {version!r} is not supported (segment {seg.number}, "
                            f"ST*{seg.get(1)}*{seg.get(2)}); expected 005010X222A1 (837P) or "
                            "005010X223A2 (837I)"
                        )
                    if skip_txn:
                        # the claims inside each get an error (at their CLM); this names the set
                        yield self.envelope(seg, skip_reason)
                elif sid == "SE":
                    if draft is not None:
                        yield self.finish(draft)
                    draft = line = other = party = None
                    level = None
                    if txn is None:
                        yield self.envelope(seg, "SE without a matching ST")
                        continue
                    counted = seg.number - txn.count_from + 1
                    if seg.get(1) != str(counted):
                        yield self.envelope(
                            seg,
                            f"SE01 says the transaction set has {seg.get(1) or 'no'} segments, but it "
                            f"has {counted} from ST to SE; segments may be lost or duplicated",
                        )
                    if seg.get(2) != txn.control:
                        yield self.envelope(
                            seg, f"SE02 control number {seg.get(2)!r} does not match ST02 {txn.control!r}"
                        )
                    txn = None
                    skip_txn = False
                elif sid == "GS":
                    gs = seg
                    gs_count += 1
                    st_count = 0
                elif sid == "GE":
                    if gs is None:
                        yield self.envelope(seg, "GE without a matching GS")
                    else:
                        if seg.get(1) != str(st_count):
                            yield self.envelope(
                                seg,
                                f"GE01 says the group has {seg.get(1) or 'no'} transaction sets, but it "
                                f"has {st_count}",
                            )
                        if seg.get(2) != gs.get(6):
                            yield self.envelope(
                                seg, f"GE02 control number {seg.get(2)!r} does not match GS06 {gs.get(6)!r}"
                            )
                    gs = None
                elif sid == "ISA":
                    if isa is not None:
                        yield self.envelope(isa, "interchange has no IEA before the next ISA")
                    isa = seg
                    gs_count = 0
                    self.component = seg.raw[-1]
                elif sid == "IEA":
                    if isa is None:
                        yield self.envelope(seg, "IEA without a matching ISA")
                    else:
                        if seg.get(1) != str(gs_count):
                            yield self.envelope(
                                seg,
                                f"IEA01 says the interchange has {seg.get(1) or 'no'} groups, but it has "
                                f"{gs_count}",
                            )
                        if seg.get(2) != isa.get(13):
                            yield self.envelope(
                                seg,
                                f"IEA02 control number {seg.get(2)!r} does not match ISA13 {isa.get(13)!r}",
                            )
                    isa = None
                # any other segment (PER, PWK, CN1, NTE, CRC, OI, MOA ...) carries nothing we judge
            except ValueError as exc:
                if draft is not None:
                    draft.problems.append((seg, str(exc)))
                elif level is not None and sid in ("N3", "N4", "DMG", "NM1", "PRV", "REF", "SBR", "PAT"):
                    level.problems.append((seg, str(exc)))
                else:
                    # a CLM outside a transaction set is a claim; a stray LX / HI / SBR is not
                    yield self.error(
                        seg, str(exc), seg.get(1) if sid == "CLM" else None, envelope=sid != "CLM"
                    )

        if unit is not None:
            unit.txn, unit.levels, unit.level, unit.component = txn, levels, level, self.component
            if draft is not None:
                yield self.finish(draft)
            return
        if draft is not None:
            if txn is not None:
                draft.problems.append(
                    (
                        draft.segment,
                        "the file ends inside this claim, with no SE / GE / IEA after it: the "
                        "interchange is cut short and the claim may be incomplete",
                    )
                )
            yield self.finish(draft)
        if not saw_any:
            return
        where = last
        if txn is not None:
            yield self.envelope(
                where, f"the file ends without the SE of transaction set {txn.control}: cut short"
            )
        elif gs is not None:
            yield self.envelope(where, "the file ends without GE: the interchange is cut short")
        elif isa is not None:
            yield self.envelope(where, "the file ends without IEA: the interchange is cut short")

    # -- a finished claim --------------------------------------------------------------------------

    def finish(self, draft: Draft) -> Claim | InputError:
        problems = draft.txn.problems + draft.level.problems + draft.problems
        claim: Claim | None = None
        if not problems:
            try:
                claim = build_claim(draft)
            except LineError as exc:
                problems = [(exc.segment, str(exc))]
            except (ValueError, TypeError) as exc:
                problems = [(draft.segment, str(exc))]
        if claim is not None:
            return claim
        seg, message = problems[0]
        more = len(problems) - 1
        if more:
            rest = "; ".join(f"segment {s.number} ({excerpt(s.raw, 24)}): {m}" for s, m in problems[1:4])
            message += f" (and {more} more: {rest}{' ...' if more > 3 else ''})"
        claim_id = draft.id or None
        return self.error(seg, f"claim {claim_id}: {message}" if claim_id else message, claim_id=claim_id)
