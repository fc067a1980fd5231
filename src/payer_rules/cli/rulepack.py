"""``payer-rules rulepack check | test | docs``: lint packs, run their cases, write rule pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from payer_rules.cli.options import examples, global_options, listing_format, wants_json

if TYPE_CHECKING:
    from payer_rules.rulepack.cases import ReferencePricer
    from payer_rules.rulepack.kinds import KindTable
    from payer_rules.rulepack.loader import Pack


def _load(paths: tuple[str, ...]) -> tuple[list[Pack], KindTable]:
    from payer_rules.plugins import get_plugin_manager
    from payer_rules.rulepack.loader import load_packs
    from payer_rules.rulepack.plugin import collect_kinds

    kinds = collect_kinds(get_plugin_manager())
    return load_packs(paths, kinds), kinds


def _reference_pricer() -> ReferencePricer | None:
    """The installed plugins' ``reference_price`` (Medicare's fee schedule for ``medicare``)."""
    from payer_rules.cli.state import get_engine
    from payer_rules.errors import PayerRulesError

    try:
        return get_engine().reference_price
    except PayerRulesError:
        return None


@click.group(
    "rulepack",
    epilog=examples(
        "payer-rules rulepack check rulepacks/examples",
        "payer-rules rulepack test rulepacks/examples",
        "payer-rules rulepack docs rulepacks/examples -o docs/rules",
        "payer-rules rulepack fields -o docs/claim-fields.md",
    ),
)
def rulepack_group() -> None:
    """Check, test and document rulepacks (payer policy as TOML)."""


@rulepack_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PATH...")
@global_options
def check_command(paths: tuple[str, ...]) -> None:
    """Lint the packs in PATHS: schema, dates, codes, citations, and that every rule has cases."""
    from payer_rules.rulepack.cases import lint_case_claims
    from payer_rules.rulepack.evaluator import compile_packs
    from payer_rules.rulepack.loader import lint_cases
    from payer_rules.rulepack.problems import RulepackError

    packs, kinds = _load(paths)
    problems = lint_cases(packs) + lint_case_claims(packs)
    try:
        compile_packs(packs, kinds)
    except RulepackError as exc:
        problems += exc.problems
    if problems:
        raise RulepackError(problems)
    deprecated = [(p, r) for p in packs for r in p.rules if r.status == "deprecated"]
    for pack, rule in deprecated:
        click.echo(f"{pack.file}: {rule.code}: note: deprecated; plan its removal", err=True)
    rules = sum(len(p.rules) for p in packs)
    click.echo(f"ok: {len(packs)} pack(s), {rules} rule(s)")


@rulepack_group.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PATH...")
@listing_format
@global_options
def test_command(paths: tuple[str, ...], fmt: str, as_json: bool) -> None:
    """Run every case of the packs in PATHS and report per rule; exit 1 if any fails."""
    from payer_rules.rulepack.cases import CaseResult, run_pack_cases, summarize

    packs, kinds = _load(paths)
    results = run_pack_cases(packs, kinds, reference_pricer=_reference_pricer())
    passed, failed, skipped = summarize(results)
    if wants_json(fmt, as_json):
        rows = [
            {
                "rule": r.rule.code,
                "case": r.case.name,
                "location": r.location,
                "outcome": "skipped" if r.skipped else "passed" if r.passed else "failed",
                "codes": list(r.codes),
                "detail": r.detail,
            }
            for r in results
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        by_rule: dict[tuple[str, str], list[CaseResult]] = {}
        for r in results:
            by_rule.setdefault((r.pack.meta.label, r.rule.code), []).append(r)
        for (label, code), group in by_rule.items():
            bad = [r for r in group if not r.passed]
            mark = "FAIL" if bad else "ok  "
            click.echo(f"{mark} {code} {group[0].rule.name} ({len(group)} case(s), {label})")
            for r in bad:
                click.echo(f"     {r.location}: {r.title}: {r.detail}")
            for r in group:
                if r.skipped:
                    click.echo(f"     {r.location}: {r.title}: {r.detail}")
        click.echo(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    if failed:
        raise SystemExit(1)


@rulepack_group.command("docs")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PATH...")
@global_options
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("docs/rules"),
    show_default=True,
    help="Directory for the pages (one CODE.md per rule, plus index.md).",
)
def docs_command(paths: tuple[str, ...], output: Path) -> None:
    """Write a Markdown page per rule: what it checks, why, an example, references, dates."""
    from payer_rules.rulepack.docs import write_docs

    packs, kinds = _load(paths)
    written = write_docs(packs, kinds, output)
    click.echo(f"wrote {len(written)} page(s) to {output}")


@rulepack_group.command(
    "fields", epilog=examples("payer-rules rulepack fields", "payer-rules rulepack fields -o claim-fields.md")
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Write the reference here instead of stdout.",
)
@global_options
def fields_command(output: Path | None) -> None:
    """Every claim field a case claim (or any claim JSON) may set, with its type and meaning."""
    from payer_rules.io.field_docs import claim_fields_markdown

    text = claim_fields_markdown()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
