"""The typed facade over the hooks: build once, then judge claims against payers.

The engine knows nothing of any payer. It runs ``validate`` -> ``authorize`` -> ``price`` ->
``adjudicate`` for the payer asked, turns findings into line outcomes, and assembles results
that balance to the cent (the records in :mod:`payer_rules.results` refuse to exist otherwise).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from itertools import islice
from pathlib import Path
from typing import Any

from attrs import evolve, frozen
from pluggy import HookCaller

from payer_rules import __version__
from payer_rules.chains import CHAIN_WAITING, after, waiting_on
from payer_rules.claim_kinds import claim_kind
from payer_rules.codesets.registry import CodeSetRegistry, CodeSetVersion
from payer_rules.context import Context, Session
from payer_rules.errors import ConfigurationError, InputError, PluginError, UsageError
from payer_rules.kind_check import ENGINE_RULES, not_priced, revenue_only_lines
from payer_rules.models import Claim
from payer_rules.money import ZERO, money
from payer_rules.pas.honour import authorize_with_issued_numbers
from payer_rules.pas.rules import PAS_RULES
from payer_rules.payer_standin import PAYER_STAND_IN, stand_in
from payer_rules.payers import PayerInfo
from payer_rules.plugins import PayerRulesPluginManager, PluginInfo, get_plugin_manager, plugin_infos
from payer_rules.results import (
    Adjudication,
    Adjustment,
    CaseGroup,
    CasePayment,
    ClaimResult,
    ClaimStatus,
    Finding,
    Group,
    LineAdjudication,
    LineResult,
    LineStatus,
    PricedLine,
    Pricing,
    Severity,
    Source,
)
from payer_rules.rules import RuleInfo
from payer_rules.store import ImporterInfo

__all__ = ["ENGINE_SOURCE", "RUNNER_CHUNK_SIZE", "Engine", "Stages"]

ENGINE_SOURCE = Source(name="payer-rules", version=__version__)

#: Claims the batch runners judge at a time (``adjudicate_many(chunk_size=...)``): from 16 to
#: 256 measured alike, about 8% faster than one at a time; larger chunks only hold more claims.
RUNNER_CHUNK_SIZE = 64


class Stages(Enum):
    """How far a run goes: ``CHECK`` is scrubber mode (validate and authorize only)."""

    CHECK = "check"
    ADJUDICATE = "adjudicate"


@frozen
class _Outcome:
    """The decisive finding for a line (or the claim), with the line status it leads to."""

    status: LineStatus
    finding: Finding


_STATUS_BY_SEVERITY = {
    Severity.REJECT: LineStatus.REJECTED,
    Severity.DENY: LineStatus.DENIED,
    Severity.PEND: LineStatus.PENDED,
}


class _StageCaller:
    """Calls one of the stage hooks with every argument its spec names, through pluggy's executor.

    ``HookCaller.__call__`` checks and defaults the arguments on every call, which cost about
    2% of a batch; the engine always passes them all, so it hands them to the plugin manager's
    hook executor directly (still pluggy's: wrappers, ``firstresult``, tracing and the
    implementations registered at call time behave exactly as through ``pm.hook``).
    """

    __slots__ = ("_caller", "_execute", "_firstresult", "_name")

    def __init__(self, caller: HookCaller) -> None:
        assert caller.spec is not None, f"{caller.name} has no specification"
        self._caller = caller
        self._name = caller.name
        self._execute = caller._hookexec
        self._firstresult = bool(caller.spec.opts.get("firstresult", False))

    def __call__(self, arguments: dict[str, object]) -> Any:
        return self._execute(self._name, self._caller.get_hookimpls(), arguments, self._firstresult)


def _flatten(results: Iterable[Iterable[Finding] | None]) -> list[Finding]:
    return [f for batch in results if batch for f in batch]


class Engine:
    """Judges claims against payers. Build once; safe to share across threads afterwards.

    All per-run state (accumulators, the history earlier claims leave) lives in a
    :class:`~payer_rules.context.Session`, never in the engine.
    """

    def __init__(self, pm: PayerRulesPluginManager) -> None:
        self._pm = pm
        self._hook = pm.hook
        self._validate = _StageCaller(pm.hook.validate)
        self._authorize = _StageCaller(pm.hook.authorize)
        self._price = _StageCaller(pm.hook.price)
        self._adjudicate = _StageCaller(pm.hook.adjudicate)
        self._reference = _StageCaller(pm.hook.reference_price)
        self._reference_case = _StageCaller(pm.hook.reference_case)
        self._group_case = _StageCaller(pm.hook.group_case)
        self.plugins: tuple[PluginInfo, ...] = tuple(plugin_infos(pm))
        self.payers: Mapping[str, PayerInfo] = self._collect_payers()
        self.rules: Mapping[str, RuleInfo] = self._collect_rules()
        self.importers: Mapping[str, ImporterInfo] = self._collect_importers()
        self.code_sets: CodeSetRegistry = self._collect_code_sets()
        #: sorted ``versions`` maps by the sources that took part; a handful per payer
        self._versions_cache: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    @classmethod
    def from_installed(
        cls,
        *,
        plugins: Iterable[object] = (),
        load_entrypoints: bool = True,
        rulepack_dirs: Iterable[Path] = (),
    ) -> Engine:
        """An engine with every installed plugin (and ``plugins``, registered first).

        :param rulepack_dirs: rulepack directories to serve besides ``PAYER_RULES_PATH``.
        """
        return cls(
            get_plugin_manager(
                plugins=plugins, load_entrypoints=load_entrypoints, rulepack_dirs=rulepack_dirs
            )
        )

    @property
    def plugin_manager(self) -> PayerRulesPluginManager:
        return self._pm

    def _collect_owned(
        self, hook_name: str, key: str, what: str, extra: Mapping[str, object] | None = None
    ) -> dict[str, Any]:
        """Call a ``register_*`` hook per plugin; each record gets its provider, keys are unique.

        Two plugins registering one key is an error naming both: a payer or importer that
        silently loses to another changes money or data. ``extra`` arguments are passed to the
        implementations that accept them (pluggy's opt-in arguments).
        """
        labels = {p.name: p.label for p in self.plugins}
        found: dict[str, Any] = {}
        for impl in getattr(self._hook, hook_name).get_hookimpls():
            provider = labels.get(impl.plugin_name, impl.plugin_name)

            def register(info: Any, provider: str = provider) -> None:
                name = getattr(info, key)
                if name in found:
                    raise PluginError(
                        f"{what} {name!r} is registered twice: by {found[name].provider} and by {provider}"
                    )
                found[name] = evolve(info, provider=provider)

            offered = {"register": register, **(extra or {})}
            impl.function(**{k: v for k, v in offered.items() if k in impl.argnames})
        return found

    def _collect_payers(self) -> dict[str, PayerInfo]:
        extra = {"directories": self._pm.configured_dirs()}
        return dict(sorted(self._collect_owned("register_payers", "id", "payer", extra).items()))

    def _collect_rules(self) -> dict[str, RuleInfo]:
        rules: dict[str, RuleInfo] = {}

        def register(info: RuleInfo) -> None:
            if info.code in rules and rules[info.code] != info:
                raise PluginError(
                    f"rule {info.code} is registered twice: by {rules[info.code].source} and by {info.source}"
                )
            rules[info.code] = info

        for info in (*ENGINE_RULES, PAYER_STAND_IN, *PAS_RULES):  # the core's own: explainable like any rule
            register(info)
        self._hook.register_rules(register=register)
        return dict(sorted(rules.items()))

    def _collect_importers(self) -> dict[str, ImporterInfo]:
        importers: dict[str, ImporterInfo] = self._collect_owned("register_importers", "kind", "importer")
        from payer_rules.codesets.importers import BUILTIN_IMPORTERS

        for info in BUILTIN_IMPORTERS:  # the core's own: code sets are not any payer's
            if info.kind not in importers:
                importers[info.kind] = evolve(info, provider=ENGINE_SOURCE.name + "@" + ENGINE_SOURCE.version)
        return dict(sorted(importers.items()))

    def _collect_code_sets(self) -> CodeSetRegistry:
        """Plugins' code-set versions plus those imported into the data directory."""
        from payer_rules.codesets.importers import CODESET_KINDS
        from payer_rules.codesets.store import open_version
        from payer_rules.store import data_dir, list_datasets

        labels = {p.name: p.label for p in self.plugins}
        registry = CodeSetRegistry()
        for impl in self._hook.register_code_sets.get_hookimpls():
            provider = labels.get(impl.plugin_name, impl.plugin_name)

            def register(version: CodeSetVersion, provider: str = provider) -> None:
                version.provider = version.provider or provider
                try:
                    registry.add(version)
                except ValueError as exc:
                    raise PluginError(str(exc)) from exc

            impl.function(register=register)
        directory = data_dir(create=False)
        for record in list_datasets(directory) if directory.is_dir() else ():
            path = directory / record.database
            if record.kind in CODESET_KINDS and path.is_file():
                registry.add(open_version(path, priority=1, provider=f"data directory ({record.provider})"))
        return registry

    def importer(self, kind: str) -> ImporterInfo:
        """The importer for this kind, or a usage error listing the known kinds."""
        if kind in self.importers:
            return self.importers[kind]
        close = _close_matches(kind, list(self.importers), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(self.importers) or "none (install a plugin that provides importers)"
        raise UsageError(f"unknown data kind {kind!r}{hint} (known: {known})")

    def rule(self, code: str) -> RuleInfo:
        """The rule with this code, or a usage error with a did-you-mean suggestion."""
        key = code.strip().upper()
        if key in self.rules:
            return self.rules[key]
        # a code the input starts (MCR10 → MCR101), else the closest; the lowest among equals
        close = [c for c in self.rules if c.startswith(key)]
        close = close or _close_matches(key, list(self.rules), n=1)
        hint = f"; did you mean {min(close)}?" if close else ""
        raise UsageError(f"unknown rule code {code!r}{hint}")

    def payer(self, payer_id: str) -> PayerInfo:
        """The payer with this id, or a usage error with a did-you-mean suggestion."""
        key = payer_id.strip().lower()
        if key in self.payers:
            return self.payers[key]
        if not self.payers:
            raise UsageError(
                f"unknown payer {payer_id!r}: no payer plugin is installed "
                "(install one, e.g. payer-rules-medicare, or add a rulepack directory)"
            )
        close = _close_matches(key, list(self.payers), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown payer {payer_id!r}{hint} (known: {', '.join(self.payers)})")

    # -- one claim ---------------------------------------------------------------------------

    def adjudicate(
        self,
        claim: Claim,
        payer: str,
        *,
        session: Session | None = None,
        as_of: dt.date | None = None,
        received_date: dt.date | None = None,
        stages: Stages = Stages.ADJUDICATE,
        origin: str | None = None,
    ) -> ClaimResult:
        """Judge one claim against one payer.

        :param session: carry accumulators and history across claims; a fresh one by default.
        :param as_of: judge by the rules of this date instead of each line's date of service.
        :param received_date: overrides the claim's own received date.
        :param stages: ``Stages.CHECK`` stops after ``authorize`` (scrubber mode).
        """
        info = self.payer(payer)
        context = Context(
            payer=info,
            received_date=received_date or claim.received_date or as_of or dt.date.today(),
            as_of=as_of,
            session=session if session is not None else Session(),
            reference_pricer=self._reference_price,
            case_pricer=self._case_price,
            case_grouper=self._case_group,
            code_sets=self.code_sets,
        )
        result, adjudication = self._run(claim, context, stages, origin)
        if stages is _ADJUDICATE and result.status is not _ERROR:
            if adjudication is not None:
                if adjudication.accumulated:
                    year = claim.first_service_date.year
                    context.session.add(info.id, claim.member_key, year, adjudication.accumulated)
                for year, amounts in adjudication.accumulated_by_year.items():
                    context.session.add(info.id, claim.member_key, year, amounts)
                if adjudication.episodes:
                    context.session.keep(info.id, claim.member_key, adjudication.episodes)
            context.session.remember(claim, result)
        return result

    def check(self, claim: Claim, payer: str, **kwargs: object) -> ClaimResult:
        """Scrubber mode: :meth:`adjudicate` with validation and authorization only."""
        return self.adjudicate(claim, payer, stages=Stages.CHECK, **kwargs)  # type: ignore[arg-type]

    def adjudicate_many(
        self,
        claims: Iterable[Claim | InputError],
        payers: Sequence[str],
        *,
        session: Session | None = None,
        as_of: dt.date | None = None,
        received_date: dt.date | None = None,
        stages: Stages = Stages.ADJUDICATE,
        chunk_size: int = 1,
        chain: bool = False,
    ) -> Iterator[ClaimResult]:
        """Stream results: one per claim and payer, in input order, errors included.

        An :class:`~payer_rules.errors.InputError` in the input (a claim that could not be
        read) becomes an ``error`` result for every payer, so nothing is silently lost; an
        ``envelope`` error (it stands for no claim) gets none, so the results are exactly
        claims x payers. A
        member's claims should arrive in date-of-service order: earlier claims consume the
        deductible before later ones, as a payer's claim system would.

        :param chunk_size: take this many claims from ``claims`` and judge them all before
            handing their results on. The results and their order are the same for any size;
            batch runners pass :data:`RUNNER_CHUNK_SIZE`, because reading, judging and writing
            many claims at a time keeps each step's code and data in the processor's caches
            (about 8% faster than one at a time). The default, 1, hands each result on as soon
            as it exists, for input that arrives a claim at a time.
        :param chain: judge the payers as a chain, in order: each later payer sees the earlier
            payers' results as other coverage with their payments (:mod:`payer_rules.chains`),
            as a secondary payer sees the primary's remittance.
        """
        for _item, result in self.adjudicate_pairs(
            claims,
            payers,
            session=session,
            as_of=as_of,
            received_date=received_date,
            stages=stages,
            chunk_size=chunk_size,
            chain=chain,
        ):
            yield result

    def adjudicate_pairs(
        self,
        claims: Iterable[Claim | InputError],
        payers: Sequence[str],
        *,
        session: Session | None = None,
        as_of: dt.date | None = None,
        received_date: dt.date | None = None,
        stages: Stages = Stages.ADJUDICATE,
        chunk_size: int = 1,
        chain: bool = False,
    ) -> Iterator[tuple[Claim | InputError, ClaimResult]]:
        """As :meth:`adjudicate_many`, each result paired with the claim (or error) it judged.

        Writers that echo claim data (835 patient names, FHIR references) use the pairs. In a
        chain, a later payer's pair holds the claim as that payer saw it (with the earlier
        payers as other coverage), so its 835 says "processed as secondary".
        """
        for payer in payers:
            self.payer(payer)
        if chunk_size < 1:
            raise UsageError(f"chunk_size must be at least 1, got {chunk_size}")
        session = session if session is not None else Session()
        options = (session, as_of, received_date, stages, chain)
        if chunk_size == 1:
            for item in claims:
                yield from self._judge(item, payers, *options)
            return
        remaining = iter(claims)
        while chunk := list(islice(remaining, chunk_size)):
            yield from [pair for item in chunk for pair in self._judge(item, payers, *options)]

    def _judge(
        self,
        item: Claim | InputError,
        payers: Sequence[str],
        session: Session,
        as_of: dt.date | None,
        received_date: dt.date | None,
        stages: Stages,
        chain: bool = False,
    ) -> list[tuple[Claim | InputError, ClaimResult]]:
        """One claim (or unreadable input) against each payer, in order (a chain: see
        :mod:`payer_rules.chains`)."""
        pairs: list[tuple[Claim | InputError, ClaimResult]] = []
        if isinstance(item, InputError) and item.envelope:
            return pairs  # stands for no claim: reported by the caller, no result
        previous: ClaimResult | None = None
        for payer in payers:
            if isinstance(item, InputError):
                pairs.append((item, self.error_result(item, payer)))
                continue
            if chain and previous is not None:
                if waiting_on(previous):
                    waiting = self._waiting(item, payer, previous, session, as_of, received_date, stages)
                    pairs.append((item, waiting))
                    previous = waiting
                    continue
                item = after(item, previous)
            try:
                result = self.adjudicate(
                    item, payer, session=session, as_of=as_of, received_date=received_date, stages=stages
                )
            except Exception as exc:
                # One claim a plugin cannot judge must not stop a batch of thousands: it gets an
                # error result naming what went wrong, and the run goes on.
                if os.environ.get("PAYER_RULES_DEBUG") == "1":
                    raise
                failure = InputError(
                    f"claim {item.id}",
                    f"could not be judged by {payer}: {type(exc).__name__}: {exc} "
                    "(PAYER_RULES_DEBUG=1 shows the traceback)",
                    claim_id=item.id,
                )
                result = self.error_result(failure, payer, code="ENG004")
            pairs.append((item, result))
            previous = result
        return pairs

    def _waiting(
        self,
        claim: Claim,
        payer: str,
        primary: ClaimResult,
        session: Session,
        as_of: dt.date | None,
        received_date: dt.date | None,
        stages: Stages,
    ) -> ClaimResult:
        """A later payer's result while an earlier one has not finished: every line pended."""
        info = self.payer(payer)
        context = Context(
            payer=info,
            received_date=received_date or claim.received_date or as_of or dt.date.today(),
            as_of=as_of,
            session=session,
            code_sets=self.code_sets,
        )
        unfinished = "could not judge it" if primary.status is _ERROR else "has pended it"
        findings = [
            Finding(
                code=CHAIN_WAITING,
                severity=Severity.PEND,
                message=(
                    f"{info.id} coordinates benefits after {primary.payer}, which {unfinished}: "
                    f"held until {primary.payer}'s adjudication is final"
                ),
                source=ENGINE_SOURCE,
                carc="133",
                group=Group.OA,
            )
        ]
        outcomes = _line_outcomes(len(claim.lines), findings)
        check_only = stages is _CHECK
        return self._assemble(claim, context, findings, outcomes, {}, {}, check_only, None, None, None)

    def error_result(self, error: InputError, payer: str, *, code: str = "ENG001") -> ClaimResult:
        """The result for a claim that could not be read (ENG001) or judged (ENG004)."""
        finding = Finding(
            code=code,
            severity=Severity.REJECT,
            message=str(error),
            source=ENGINE_SOURCE,
            carc="16",
            rarcs=("MA130",),
            group=Group.CO,
        )
        return ClaimResult(
            claim_id=error.claim_id or "",
            payer=self.payer(payer).id,
            status=ClaimStatus.ERROR,
            as_of=None,
            billed=ZERO,
            allowed=ZERO,
            paid=ZERO,
            patient_responsibility=ZERO,
            findings=(finding,),
            versions=self._versions(self.payer(payer), ()),
            origin=error.location,
        )

    def reference_price(self, reference: str, claim: Claim, line: int, context: Context) -> PricedLine | None:
        """A line's price by a reference schedule (``"medicare"``) through the ``reference_price`` hook.

        ``rulepack test`` passes this to pack cases so percent-of-reference rules price there too.
        """
        return self._reference_price(reference, claim, line, context)

    def _reference_price(
        self, reference: str, claim: Claim, line: int, context: Context
    ) -> PricedLine | None:
        priced: PricedLine | None = self._reference(
            {"reference": reference, "claim": claim, "line": line, "context": context}
        )
        return priced

    def _case_price(self, reference: str, claim: Claim, context: Context) -> Pricing | None:
        priced: Pricing | None = self._reference_case(
            {"reference": reference, "claim": claim, "context": context}
        )
        return priced

    def _case_group(self, scheme: str, claim: Claim, context: Context) -> CaseGroup | None:
        group: CaseGroup | None = self._group_case({"scheme": scheme, "claim": claim, "context": context})
        return group

    # -- the pipeline ------------------------------------------------------------------------

    def _run(
        self, claim: Claim, context: Context, stages: Stages, origin: str | None
    ) -> tuple[ClaimResult, Adjudication | None]:
        count = len(claim.lines)
        kind = claim_kind(claim)
        if kind not in context.payer.claim_kinds:
            # No plugin validates or prices a kind its payer does not price (a professional edit or
            # fee schedule would answer wrongly); authorization requirements bind however it is paid.
            unpriced = stand_in(claim, context.payer) + not_priced(claim, kind, context.payer)
            unpriced += self._authorized(claim, context)
            return self._not_priced(claim, context, unpriced, origin), None
        findings = stand_in(claim, context.payer) + revenue_only_lines(claim, kind, context.payer)
        findings += _flatten(self._validate({"claim": claim, "context": context}))
        rejected = _has_reject(findings)
        if not rejected:
            findings += self._authorized(claim, context)
            rejected = _has_reject(findings)
        outcomes = _line_outcomes(count, findings)
        priced: dict[int, PricedLine] = {}
        taken: dict[int, LineAdjudication] = {}
        case: CasePayment | None = None
        pricing: Pricing | None = None
        adjudication: Adjudication | None = None
        check_only = stages is _CHECK or rejected
        payable = (
            [n for n in range(1, count + 1) if n not in outcomes] if outcomes else [*range(1, count + 1)]
        )
        if not check_only and payable:
            pricing = self._price({"claim": claim, "context": context})
            before = len(findings)
            if pricing is None:
                findings.append(_engine_pend(None, f"no installed plugin prices {context.payer.id}"))
            else:
                findings.extend(pricing.findings)
                priced = {p.line: p for p in pricing.lines}
                explained = _line_outcomes(count, pricing.findings) if pricing.findings else {}
                for n in payable:
                    # A line the pricer left out without saying why gets the engine's pend.
                    if n not in priced and n not in explained:
                        findings.append(
                            _engine_pend(
                                n,
                                f"line {n}: {context.payer.id} has no price for "
                                f"{claim.lines[n - 1].procedure}",
                            )
                        )
            case = pricing.case if pricing is not None else None
            if len(findings) > before:  # pricing said something: the outcomes may have changed
                outcomes = _line_outcomes(count, findings)
            if pricing is not None and (not outcomes or any(n not in outcomes for n in payable)):
                # Only lines still payable reach cost sharing: a denied line must not use up
                # the member's deductible.
                if outcomes and any(n in outcomes for n in priced):
                    still = tuple(p for p in pricing.lines if p.line not in outcomes)
                    if type(pricing) is Pricing:  # evolve() introspects; the common case needs none of it
                        pricing = Pricing(lines=still, source=pricing.source, findings=pricing.findings)
                    else:
                        pricing = evolve(pricing, lines=still)
                adjudication = self._adjudicate(
                    {"claim": claim, "context": context, "pricing": pricing, "findings": tuple(findings)}
                )
                if adjudication is None:
                    findings.append(_engine_pend(None, f"no installed plugin adjudicates {context.payer.id}"))
                else:
                    findings.extend(adjudication.findings)
                    taken = {a.line: a for a in adjudication.lines}
                if adjudication is None or adjudication.findings:
                    outcomes = _line_outcomes(count, findings)
        result = self._assemble(
            claim, context, findings, outcomes, priced, taken, check_only, pricing, adjudication, origin, case
        )
        return result, adjudication

    def _authorized(self, claim: Claim, context: Context) -> list[Finding]:
        """The ``authorize`` findings; numbers this engine issued through PAS held to what they cover."""
        if not claim.prior_authorizations:
            return _flatten(self._authorize({"claim": claim, "context": context}))
        return authorize_with_issued_numbers(
            claim, context.payer.id, lambda c: _flatten(self._authorize({"claim": c, "context": context}))
        )

    def review(
        self, claim: Claim, payer: str, *, received_date: dt.date | None = None, as_of: dt.date | None = None
    ) -> tuple[list[Finding], bool]:
        """Every ``validate`` and ``authorize`` finding for ``claim`` as a prior-authorization request.

        Unlike :meth:`check`, ``authorize`` runs even after a front-end rejection (a review answers
        every item), and authorization numbers on the request are not honoured (a request asks for
        one). A kind of claim ``payer`` does not price is judged by ``authorize`` alone, as
        :meth:`adjudicate` does.

        :returns: the findings, and whether ``validate`` ran (the payer prices this kind of claim).
        """
        info = self.payer(payer)
        context = Context(
            payer=info,
            received_date=received_date or claim.received_date or as_of or dt.date.today(),
            as_of=as_of,
            session=Session(),
            reference_pricer=self._reference_price,
            code_sets=self.code_sets,
        )
        asked = evolve(claim, prior_authorizations=()) if claim.prior_authorizations else claim
        validated = claim_kind(asked) in info.claim_kinds
        findings = stand_in(asked, info)
        if validated:
            findings += _flatten(self._validate({"claim": asked, "context": context}))
        findings += _flatten(self._authorize({"claim": asked, "context": context}))
        findings.sort(key=_finding_order)
        return findings, validated

    def _assemble(
        self,
        claim: Claim,
        context: Context,
        findings: list[Finding],
        outcomes: dict[int, _Outcome],
        priced: dict[int, PricedLine],
        taken: dict[int, LineAdjudication],
        check_only: bool,
        pricing: Pricing | None,
        adjudication: Adjudication | None,
        origin: str | None,
        case: CasePayment | None = None,
    ) -> ClaimResult:
        """The claim's result from what the stages decided: lines, totals, findings in order.

        ``case``, a per-case payment the pricer made, is reported only when a line was paid.
        """
        lines = tuple(
            self._line_result(claim, n, outcomes.get(n), priced, taken, check_only, adjudication)
            for n in range(1, len(claim.lines) + 1)
        )
        billed = allowed = paid = patient = ZERO
        for ln in lines:
            billed += ln.billed
            allowed += ln.allowed
            paid += ln.paid
            for a in ln.adjustments:
                if a.group is _PR:
                    patient += a.amount
        if len(findings) > 1:
            findings.sort(key=_finding_order)
        return ClaimResult(
            claim_id=claim.id,
            payer=context.payer.id,
            status=_claim_status(lines, check_only=check_only),
            as_of=context.as_of or claim.first_service_date,
            billed=billed,
            allowed=allowed,
            paid=paid,
            patient_responsibility=patient,
            findings=tuple(findings),
            lines=lines,
            versions=self._versions(context.payer, findings, pricing, adjudication),
            origin=origin,
            case=case if case is not None and any(ln.status is _PAID for ln in lines) else None,
        )

    def _not_priced(
        self, claim: Claim, context: Context, findings: list[Finding], origin: str | None
    ) -> ClaimResult:
        """A claim of a kind the payer does not price: every line pended (or denied by authorization)."""
        outcomes = _line_outcomes(len(claim.lines), findings)
        return self._assemble(claim, context, findings, outcomes, {}, {}, True, None, None, origin)

    def _line_result(
        self,
        claim: Claim,
        number: int,
        outcome: _Outcome | None,
        priced_lines: Mapping[int, PricedLine],
        taken_lines: Mapping[int, LineAdjudication],
        check_only: bool,
        adjudication: Adjudication | None,
    ) -> LineResult:
        line = claim.lines[number - 1]
        billed = money(line.charge)
        if outcome is not None:
            f = outcome.finding
            return LineResult(
                line=number,
                procedure=line.procedure,
                modifiers=line.modifiers,
                units=line.units,
                status=outcome.status,
                billed=billed,
                allowed=ZERO,
                paid=ZERO,
                adjustments=(Adjustment(group=f.group or _CO, carc=f.carc or "16", amount=billed),),
                rarcs=f.rarcs,
            )
        if check_only:
            return LineResult(
                line=number,
                procedure=line.procedure,
                modifiers=line.modifiers,
                units=line.units,
                status=_CLEAN,
                billed=billed,
                allowed=ZERO,
                paid=ZERO,
            )
        priced = priced_lines.get(number)
        assert priced is not None  # unpriced lines were pended above
        allowed = priced.allowed
        adjustments: list[Adjustment] = []
        if allowed != billed:
            adjustments.append(
                Adjustment(group=priced.reduction_group, carc=priced.reduction_carc, amount=billed - allowed)
            )
        taken = taken_lines.get(number)
        rarcs: tuple[str, ...] = ()
        paid = allowed
        if taken is not None:
            for a in taken.adjustments:
                if a.amount:
                    paid -= a.amount
                    adjustments.append(a)
            if paid < ZERO:
                source = adjudication.source if adjudication is not None else "?"
                raise ConfigurationError(
                    f"claim {claim.id} line {number}: {source} takes {allowed - paid} "
                    f"from an allowed amount of {allowed}"
                )
            rarcs = taken.rarcs
        return LineResult(
            line=number,
            procedure=line.procedure,
            modifiers=line.modifiers,
            units=line.units,
            status=_PAID,
            billed=billed,
            allowed=allowed,
            paid=paid,
            adjustments=_merge(adjustments),
            rarcs=rarcs,
            basis=priced.basis,
        )

    def _versions(
        self,
        payer: PayerInfo,
        findings: Iterable[Finding],
        pricing: Pricing | None = None,
        adjudication: Adjudication | None = None,
    ) -> dict[str, str]:
        """``name -> version`` of the core, the payer's plugin and every source that took part."""
        found = {ENGINE_SOURCE.name: ENGINE_SOURCE.version}
        if "@" in payer.provider:
            name, _, version = payer.provider.rpartition("@")
            found[name] = version
        for f in findings:
            found[f.source.name] = f.source.version
        if pricing is not None:
            found[pricing.source.name] = pricing.source.version
        if adjudication is not None:
            found[adjudication.source.name] = adjudication.source.version
        key = tuple(found.items())
        versions = self._versions_cache.get(key)
        if versions is None:
            versions = self._versions_cache[key] = dict(sorted(found.items()))
        return dict(versions)


# Enum members as module constants: on Python 3.11 ``Severity.REJECT`` costs a slow class
# attribute lookup, and these run for every finding and line of every claim.
_REJECT = Severity.REJECT
_REJECTED, _DENIED, _PENDED = LineStatus.REJECTED, LineStatus.DENIED, LineStatus.PENDED
_PR, _CO = Group.PR, Group.CO
_PAID, _CLEAN, _ERROR = LineStatus.PAID, LineStatus.CLEAN, ClaimStatus.ERROR
_RANK = {s: s.rank for s in Severity}
_CHECK, _ADJUDICATE = Stages.CHECK, Stages.ADJUDICATE
_CLAIM_REJECTED, _CLAIM_DENIED, _CLAIM_PENDED = ClaimStatus.REJECTED, ClaimStatus.DENIED, ClaimStatus.PENDED
_CLAIM_PARTIAL, _CLAIM_CLEAN, _CLAIM_PAID = ClaimStatus.PARTIAL, ClaimStatus.CLEAN, ClaimStatus.PAID


def _has_reject(findings: Iterable[Finding]) -> bool:
    return any(f.severity is _REJECT for f in findings)


def _finding_order(f: Finding) -> tuple[int, int, str]:
    return (f.line or 0, _RANK[f.severity], f.code)


def _line_outcomes(count: int, findings: Iterable[Finding]) -> dict[int, _Outcome]:
    """The strongest money-changing finding for each of ``count`` lines; claim-level ones reach every line."""
    outcomes: dict[int, _Outcome] = {}
    rejecting = False
    for f in findings:
        status = _STATUS_BY_SEVERITY.get(f.severity)
        if status is None:
            continue
        rejecting = rejecting or status is _REJECTED
        targets = range(1, count + 1) if f.line is None else (f.line,)
        rank = _RANK[f.severity]
        for n in targets:
            current = outcomes.get(n)
            if current is None or rank < _RANK[current.finding.severity]:
                outcomes[n] = _Outcome(status, f)
    if rejecting:  # a reject outranks everything, so one stored is still there
        first = next(o for o in outcomes.values() if o.status is _REJECTED)
        for n in range(1, count + 1):
            if outcomes.get(n, first).status is not _REJECTED:
                outcomes[n] = first
            outcomes.setdefault(n, first)
    return outcomes


def _claim_status(lines: Sequence[LineResult], *, check_only: bool) -> ClaimStatus:
    statuses = {ln.status for ln in lines}
    if _REJECTED in statuses:
        return _CLAIM_REJECTED
    if len(statuses) == 1 and _DENIED in statuses:
        return _CLAIM_DENIED
    if _PENDED in statuses:
        return _CLAIM_PENDED
    if check_only:
        return _CLAIM_PARTIAL if _DENIED in statuses else _CLAIM_CLEAN
    if _DENIED in statuses:
        return _CLAIM_PARTIAL
    return _CLAIM_PAID


def _engine_pend(line: int | None, message: str) -> Finding:
    return Finding(
        code="ENG002" if line is None else "ENG003",
        severity=Severity.PEND,
        message=message,
        source=ENGINE_SOURCE,
        line=line,
        carc="133",
        group=Group.OA,
    )


def _merge(adjustments: list[Adjustment]) -> tuple[Adjustment, ...]:
    """One adjustment per group and CARC, as an 835 CAS segment carries them."""
    if len(adjustments) < 2:
        return tuple(adjustments)
    seen: set[tuple[Group, str]] = set()
    for a in adjustments:
        key = (a.group, a.carc)
        if key in seen:
            break
        seen.add(key)
    else:
        return tuple(adjustments)
    merged: dict[tuple[Group, str], Decimal] = {}
    for a in adjustments:
        merged[(a.group, a.carc)] = merged.get((a.group, a.carc), ZERO) + a.amount
    return tuple(Adjustment(group=g, carc=c, amount=v) for (g, c), v in merged.items())


def _close_matches(word: str, possibilities: list[str], n: int) -> list[str]:
    """``difflib.get_close_matches``, imported when a name is mistyped rather than at every start."""
    import difflib

    return difflib.get_close_matches(word, possibilities, n=n)
