"""Acknowledgments from a run: ``--format x12-999`` and ``--ack DIR`` (999 per X12 input + 277CA).

The 999 is about the files as received, so it needs no payer and no judging: each X12 input is
validated against its implementation guide and acknowledged. The 277CA is about the claims as
judged at the front end, so it is written from the run's results, one transaction set per payer.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from payer_rules.errors import InputError, UsageError
from payer_rules.io.atomic import atomic_output
from payer_rules.io.readers import expand_inputs
from payer_rules.io.writers import ResultWriter
from payer_rules.models import Claim
from payer_rules.results import ClaimResult

__all__ = ["ACK_FORMAT", "AckWriter", "write_999", "x12_inputs"]

#: The ``--format`` that writes 999s instead of results.
ACK_FORMAT = "x12-999"


def x12_inputs(inputs: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """``(name, text)`` of every X12 input (directories expanded as the readers do)."""
    for item in expand_inputs(inputs):
        if isinstance(item, InputError):
            continue  # the run itself reports it
        if item == "-":
            text = sys.stdin.read()
            name = "<stdin>"
        else:
            try:
                text = Path(item).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            name = item
        if text.lstrip("\ufeff \t\r\n").startswith("ISA"):
            yield name, text


def _acknowledge(text: str, name: str = "<input>") -> tuple[str, int, int]:
    try:
        from payer_rules.io.x12.ack_999 import acknowledge_837

        ack = acknowledge_837(text)
    except ModuleNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    except Exception as exc:
        if os.environ.get("PAYER_RULES_DEBUG") == "1":
            raise
        # pyx12 fails on some damaged envelopes (a GE with no GS before it): that file gets no
        # 999 and a located error; the other files are still acknowledged (issue 19).
        msg = (
            f"no 999 could be made: the X12 validator (pyx12) failed on this file "
            f"({type(exc).__name__}); check its ISA / GS / ST envelopes"
        )
        raise InputError(name, msg) from exc
    if not ack.groups:
        raise InputError(
            name,
            "no 999 could be made: no functional group (GS ... GE) could be read, and a 999 "
            "acknowledges functional groups; check the file's ISA / GS envelope",
        )
    return ack.text, ack.accepted, ack.rejected


def write_999(inputs: tuple[str, ...], stream: TextIO) -> list[InputError]:
    """``--format x12-999``: one 999 interchange per X12 input, one after another.

    :returns: the inputs no 999 could be made for, for the runner to report (exit 1).
    """
    found = 0
    failed: list[InputError] = []
    for name, text in x12_inputs(inputs):
        found += 1
        try:
            body, accepted, rejected = _acknowledge(text, name)
        except InputError as exc:
            failed.append(exc)
            continue
        stream.write(body)
        click.echo(f"{name}: 999 {accepted} transaction set(s) accepted, {rejected} rejected", err=True)
    if not found:
        raise UsageError("--format x12-999 acknowledges X12 837 files; no input is X12")
    return failed


class AckWriter:
    """Tees results to the run's writer and to a 277CA; on close writes the 999s beside it."""

    def __init__(self, inner: ResultWriter, directory: Path, inputs: tuple[str, ...]) -> None:
        from payer_rules.io.x12.writer_277ca import X12_277CAWriter

        # written beside its target and renamed on close: a killed run leaves the old file
        self._files = contextlib.ExitStack()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._handle = self._files.enter_context(atomic_output(directory / "claims.277ca"))
        except OSError as exc:
            raise UsageError(f"{directory}: cannot write acknowledgments: {exc.strerror or exc}") from exc
        self._inner = inner
        self._directory = directory
        self._inputs = inputs
        self._277ca = X12_277CAWriter(self._handle)
        #: the X12 inputs no 999 could be made for: the runner reports them and exits 1
        self.failed: list[InputError] = []

    def write(self, result: ClaimResult, claim: Claim | InputError | None = None) -> None:
        self._inner.write(result, claim)
        self._277ca.write(result, claim)

    def close(self) -> None:
        self._inner.close()
        with self._files:
            self._277ca.close()
        for name, text in x12_inputs(self._inputs):
            try:
                body, _accepted, _rejected = _acknowledge(text, name)
            except InputError as exc:
                self.failed.append(exc)
                continue
            target = self._directory / f"{Path(name).name if name != '<stdin>' else 'stdin'}.999"
            with atomic_output(target) as handle:
                handle.write(body)
