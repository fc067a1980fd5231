"""The hooks a payer-rules plugin may implement.

Two kinds:

* **Registration** hooks run once, when the engine is built: ``register_payers``,
  ``register_rulepacks``, ``register_commands``.
* **Stage** hooks run per claim and payer, in this order: ``validate`` -> ``authorize`` ->
  ``price`` -> ``adjudicate``. A finding with severity ``reject`` from ``validate`` or
  ``authorize`` stops the claim there, as a payer's front-end edits do.

Every stage hook receives a :class:`~payer_rules.context.Context` whose ``payer`` says which
payer is being asked. A plugin answers only for the payers it registered (or serves through
rulepacks) and returns nothing for the others. Call hooks with keyword arguments; new arguments
may be added in minor releases, and implementations may accept any subset of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from payer_rules.codesets.registry import CodeSetVersion
    from payer_rules.context import Context
    from payer_rules.models import Claim
    from payer_rules.payers import PayerInfo
    from payer_rules.results import Adjudication, CaseGroup, Finding, PricedLine, Pricing
    from payer_rules.rulepack.kinds import RuleKind
    from payer_rules.rules import RuleInfo
    from payer_rules.store import ImporterInfo

NAME = "payer_rules"

hookspec = pluggy.HookspecMarker(NAME)
"""Marks a function in this module as a hook specification."""

hookimpl = pluggy.HookimplMarker(NAME)
"""Marks a plugin function as an implementation of a payer-rules hook."""


@hookspec
def register_payers(
    register: Callable[[PayerInfo], None], directories: Sequence[Path], payers: Collection[str] | None
) -> None:
    """Register the payers this plugin adjudicates for.

    :param register: call once per payer with a :class:`~payer_rules.payers.PayerInfo`.
    :param directories: the run's configured directories (``--rulepacks DIR``, then
        ``PAYER_RULES_PATH``), for plugins that define payers from files found there (the
        commercial plugin reads ``payer.toml`` definitions). Most plugins ignore it.
    :param payers: the payer ids this run judges (``adjudicate --payer medicare``), or ``None``
        for every payer. A plugin whose payers cost something to build (definitions read from
        files) may register none when it owns none of these; registering them anyway is always
        correct. Most plugins ignore it.

    Two plugins registering one payer id is an error naming both, raised when the engine is
    built.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 ``directories``.
    .. versionchanged:: 0.2 ``payers``.

    Example::

        @hookimpl
        def register_payers(register):
            register(PayerInfo(id="acme", name="Acme Health", kind=PayerKind.COMMERCIAL))
    """


@hookspec
def register_rulepacks(register: Callable[[Path], None], payers: Collection[str] | None) -> None:
    """Register rulepack TOML files this plugin ships.

    :param register: call once per pack file (a :class:`~pathlib.Path`).
    :param payers: the payer ids this run judges, or ``None`` for every payer (as for
        :func:`register_payers`): a plugin may leave out the packs of payers it does not
        register then. Most plugins ignore it.

    The engine compiles every registered pack once, at start-up; a pack that does not load is
    an error naming the file, the line and the plugin. When the run judges only some payers,
    packs that name none of them are not loaded (``[pack] payers`` / ``[payer] id``).

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 ``payers``.

    Example::

        @hookimpl
        def register_rulepacks(register):
            register(Path(__file__).parent / "rulepacks" / "ncd-labs.toml")
    """


@hookspec
def register_rule_kinds(register: Callable[[RuleKind], None]) -> None:
    """Add rule kinds rulepacks may use, beside the built-in ones.

    :param register: call once per kind with a :class:`~payer_rules.rulepack.kinds.RuleKind`:
        its ``kind`` name, an attrs schema subclassing
        :class:`~payer_rules.rulepack.schema.Rule`, the stage it runs in and a ``compile``
        function that turns all of a payer's rules of the kind into one indexed evaluator.

    A kind name registered twice (or shadowing a built-in kind) is an error naming both.
    Kinds are collected before any pack loads, so packs anywhere may use them.

    .. versionadded:: 0.2

    Example::

        @hookimpl
        def register_rule_kinds(register):
            register(RuleKind(name="max-charge", schema=MaxChargeRule, stage=Stage.CLINICAL,
                              compile=compile_max_charge, placeholders=frozenset({"cap"})))
    """


@hookspec
def register_rules(register: Callable[[RuleInfo], None]) -> None:
    """Describe the rules this plugin's stage hooks apply, for ``payer-rules explain``.

    :param register: call once per rule with a :class:`~payer_rules.rules.RuleInfo`.

    A rule code registered twice is an error naming both owners.

    .. versionadded:: 0.1
    """


@hookspec
def register_importers(register: Callable[[ImporterInfo], None]) -> None:
    """Offer importers for official data files, run by ``payer-rules data import KIND FILE...``.

    :param register: call once per importer with an :class:`~payer_rules.store.ImporterInfo`.

    Two plugins registering one importer kind is an error naming both.

    An importer writing SQLite should open its database with
    :func:`payer_rules.store.connect_for_import` ``(path, options)`` and call ``commit()`` and
    ``close()`` as usual: ``data import`` then commits the data and its catalogue entry in one
    transaction, so a failed or killed import changes neither. An importer that writes some
    other way is recorded after it returns.

    .. versionadded:: 0.1
    .. versionchanged:: 0.1 ``connect_for_import`` (issue 19)

    Example::

        @hookimpl
        def register_importers(register):
            register(ImporterInfo(kind="ncci-ptp", summary="NCCI PTP edits", run=import_ptp))
    """


@hookspec
def register_code_sets(register: Callable[[CodeSetVersion], None]) -> None:
    """Register code-set versions (ICD-10-CM, ICD-10-PCS, HCPCS, CPT) by effective range.

    :param register: call once per version with a
        :class:`~payer_rules.codesets.registry.CodeSetVersion`. Give it a ``loader`` so the
        codes load on the first lookup, not when the engine is built.

    The engine builds one registry from every plugin's versions plus those imported into the
    data directory (which win for the dates they cover); hooks reach it as
    ``context.code_sets``. One name registered twice for a system is an error naming both.
    Mark partial lists (the CPT codes a fee schedule names) ``complete=False``: a code they
    lack is then unknown (a warning), not invalid.

    .. versionadded:: 0.2

    Example::

        @hookimpl
        def register_code_sets(register):
            register(CodeSetVersion(system="icd-10-cm", name="ICD-10-CM FY2027",
                                    effective_from=date(2026, 10, 1), effective_to=date(2027, 9, 30),
                                    loader=load_fy2027))
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``payer-rules`` runner.

    :param cli: the top-level Click group; use ``@cli.command()`` or ``cli.add_command``.

    .. versionadded:: 0.1
    """


@hookspec
def validate(claim: Claim, context: Context) -> Iterable[Finding]:
    """Front-end and clinical edits: code validity, required data, NCCI, MUE, medical necessity.

    :param claim: the claim as submitted.
    :param context: the payer being asked, dates, accumulators and history.
    :return: findings (possibly none). Return ``()`` when ``context.payer`` is not yours.

    Collected from every plugin. A ``reject`` finding stops the claim after this stage; a
    ``deny`` finding denies its line (or every line when ``line`` is ``None``).

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def validate(claim, context):
            if context.payer.id != "acme":
                return ()
            return [Finding(...) for line in claim.lines if line.units > 4]
    """
    return ()


@hookspec
def authorize(claim: Claim, context: Context) -> Iterable[Finding]:
    """Prior-authorization, eligibility and coordination-of-benefits checks.

    :param claim: the claim as submitted.
    :param context: as for :func:`validate`.
    :return: findings, with the same meaning as for :func:`validate`.

    .. versionadded:: 0.1
    """
    return ()


@hookspec(firstresult=True)
def price(claim: Claim, context: Context) -> Pricing | None:
    """Set the allowed amount of every line that survived validation and authorization.

    :param claim: the claim as submitted.
    :param context: as for :func:`validate`.
    :return: a :class:`~payer_rules.results.Pricing`, or ``None`` when the payer is not yours.

    Stops at first non-None result. Exactly one plugin owns a payer's pricing; a line missing
    from the pricing is pended by the engine with a finding that says so.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def reference_price(reference: str, claim: Claim, line: int, context: Context) -> PricedLine | None:
    """Price one line as a reference fee schedule would, for percent-of-reference contracts.

    :param reference: the reference schedule asked for, e.g. ``"medicare"`` (the Medicare
        physician and lab fee schedules); plugins answer only for references they own.
    :param claim: the claim the line belongs to (place of service, ZIP, provider).
    :param line: 1-based line number.
    :param context: the asking payer's context (its dates rule; its payer is not the reference).
    :return: the reference's allowed amount for the line (``basis`` says how it was found), or
        ``None`` when the reference is not yours or has no price for the line.

    Stops at first non-None result. Commercial and Medicaid payers priced as a percentage of
    Medicare call this through the engine instead of importing the Medicare plugin.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def reference_case(reference: str, claim: Claim, context: Context) -> Pricing | None:
    """Price a whole claim as a reference payer pays it per case, for percent-of-reference
    facility contracts (a commercial plan paying inpatient stays at 140% of Medicare IPPS).

    :param reference: the reference payer asked for, e.g. ``"medicare"``; plugins answer only
        for references they own.
    :param claim: the claim as the asking payer received it (its charges, dates and codes).
    :param context: the asking payer's context (its dates rule; its payer is not the reference).
    :return: the reference's :class:`~payer_rules.results.Pricing` of the claim: its ``case``
        (the per-case payment before the reference's member cost sharing) and its lines'
        shares, or no lines and the findings saying why the reference cannot price it (the
        asker pends with them); ``None`` when the reference is not yours or the claim is of a
        kind you do not price per case.

    Stops at first non-None result.

    Example::

        @hookimpl
        def reference_case(reference, claim, context):
            if reference != "medicare" or not is_inpatient(claim):
                return None
            return price_ipps(claim, context)

    .. versionadded:: 0.3
    """


@hookspec(firstresult=True)
def group_case(scheme: str, claim: Claim, context: Context) -> CaseGroup | None:
    """Assign a stay its case-mix group (an MS-DRG) under a grouping scheme you own.

    :param scheme: the scheme asked for, e.g. ``"ms-drg"``.
    :param claim: the inpatient claim (diagnoses, procedures, discharge status and date).
    :param context: the asking payer's context.
    :return: a :class:`~payer_rules.results.CaseGroup` (with ``problem`` and no ``code`` when
        the stay cannot be grouped), or ``None`` when the scheme is not yours.

    Stops at first non-None result. Lets a payer contract per DRG (case rates) without
    importing the plugin whose grouper assigns it.

    .. versionadded:: 0.3
    """


@hookspec(firstresult=True)
def adjudicate(
    claim: Claim,
    context: Context,
    pricing: Pricing,
    findings: tuple[Finding, ...],
) -> Adjudication | None:
    """Split each priced line's allowed amount into payment and adjustments.

    :param claim: the claim as submitted.
    :param context: as for :func:`validate`; ``context.accumulated`` gives year-to-date amounts.
    :param pricing: the payer's pricing of the lines still payable.
    :param findings: everything found so far, for liability decisions.
    :return: an :class:`~payer_rules.results.Adjudication` (deductible, coinsurance, copay,
        sequestration...), or ``None`` when the payer is not yours.

    Stops at first non-None result. Whatever the adjudication does not take from ``allowed`` is
    paid. The engine rejects an adjudication that takes more than ``allowed``. What the claim
    adds to the member's accumulators goes in ``Adjudication.accumulated`` (counted in the year
    of the claim's first date of service) or, for a claim whose lines fall in two calendar years,
    ``Adjudication.accumulated_by_year``.

    .. versionadded:: 0.1
    """
