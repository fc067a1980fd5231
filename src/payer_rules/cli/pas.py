"""``payer-rules pas``: prior authorization over HL7 Da Vinci PAS (``Claim/$submit``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from payer_rules.cli.options import Verbosity, examples, global_options, output_option
from payer_rules.cli.state import get_engine
from payer_rules.errors import InputError, UsageError


@click.group(
    "pas",
    epilog=examples(
        "payer-rules pas submit examples/fhir/pas/knee-orthosis-request.json --payer medicare -o out.json",
        "payer-rules pas submit request.json --payer bluepeak --dry-run",
    ),
)
def pas_group() -> None:
    """Prior authorization over HL7 Da Vinci PAS: review requests, issue numbers claims quote."""


@pas_group.command(
    "submit",
    epilog=examples(
        "payer-rules pas submit examples/fhir/pas/knee-orthosis-request.json --payer medicare -o out.json",
        "payer-rules pas submit request.json --payer bluepeak --dry-run",
    ),
)
@click.argument("bundle", metavar="BUNDLE")
@click.option(
    "--payer", required=True, metavar="ID", help="The payer reviewing the request (see `payer-rules payers`)."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Answer without saving the authorization (a later claim cannot quote its number).",
)
@output_option
@global_options
def submit_command(bundle: str, payer: str, dry_run: bool, output: Path | None) -> None:
    """Review BUNDLE, a PAS Claim/$submit request ('-' for stdin); write the PAS response Bundle.

    Each item gets an X12 review action: A1 certified (with an authorization number, saved in
    the data directory), A3 not certified, A4 pended or NA no action required, with the rule
    that decided. An unreadable request gets an OperationOutcome and exit 1.
    """
    from payer_rules.io.atomic import atomic_output
    from payer_rules.pas.request import read_request
    from payer_rules.pas.response import operation_outcome, response_bundle
    from payer_rules.pas.review import review_request
    from payer_rules.pas.store import AUTHORIZATIONS
    from payer_rules.store import data_dir

    engine = get_engine()
    engine.payer(payer)  # an unknown payer is a usage error before anything is read
    if bundle == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        path = Path(bundle)
        if not path.is_file():
            raise UsageError(f"{bundle}: no such file or directory")
        try:
            text, name = path.read_text(encoding="utf-8"), bundle
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(bundle, f"cannot be read: {exc}") from exc
    request = read_request(text, name)
    if isinstance(request, InputError):
        answer = operation_outcome(request)
    else:
        review = review_request(engine, request, payer, persist=not dry_run)
        answer = response_bundle(review)
    body = json.dumps(answer, indent=2) + "\n"
    if output is not None:
        with atomic_output(output) as fh:
            fh.write(body)
    else:
        click.echo(body, nl=False)
    if isinstance(request, InputError):
        raise request
    if not Verbosity.quiet():
        counts = answer["entry"][0]["resource"].get("disposition", "")
        saved = (
            f"; authorization {review.number} saved in {data_dir() / AUTHORIZATIONS}"
            if review.number and not dry_run
            else f"; authorization {review.number} not saved (--dry-run)"
            if review.number
            else ""
        )
        click.echo(f"payer-rules: {request.claim_id}: {counts}{saved}", err=True)
