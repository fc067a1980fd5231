"""Reading pack files: TOML → typed records, with every problem located in the file.

``load_pack`` reports *all* problems of a file at once (a policy author fixes them in one pass),
each as ``file:line: SUBJECT: message``; ``load_packs`` adds the checks that need every pack
(duplicate codes, duplicate pack names, a payer declared twice).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tomllib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path as FsPath
from typing import Any

from attrs import field, frozen

from payer_rules.payers import _payer_id
from payer_rules.results import Severity

from .kinds.base import COMMON_PLACEHOLDERS, RuleKind, placeholders
from .parsed import ParsedFiles
from .positions import Path, Positions, syntax_location
from .problems import Problem, RulepackError
from .schema import (
    CARC,
    KEBAB,
    RARC,
    PackMeta,
    PayerDecl,
    Rule,
    SchemaProblem,
    Status,
    rulepack_converter,
    structure,
)
from .sharing import building

__all__ = ["Pack", "find_packs", "lint_cases", "load_pack", "load_packs", "may_apply"]

_TOP_KEYS = ("pack", "payer", "case_defaults", "rules")
_PREFIX = re.compile(r"[A-Z]{2,6}\Z")
_CONVERTER = rulepack_converter()


@frozen(kw_only=True)
class Pack:
    """One loaded pack file.

    Args:
        file: the path as given (messages use it, so they match what the user typed).
        meta: the ``[pack]`` table.
        payer: the ``[payer]`` table, if the pack declares one.
        rules: every rule, in file order (``removed`` ones included).
        case_defaults: a partial claim merged under every case's claim.
    """

    file: str
    meta: PackMeta
    rules: tuple[Rule, ...]
    payer: PayerDecl | None = None
    case_defaults: Mapping[str, Any] = field(factory=dict)
    positions: Positions = field(repr=False, eq=False)

    @property
    def directory(self) -> FsPath:
        return FsPath(self.file).parent

    def line(self, path: Path) -> int | None:
        return self.positions.line(path)

    def rule_line(self, index: int, *rest: str | int) -> int | None:
        return self.positions.line(("rules", index, *rest))

    def problem(self, path: Path, subject: str, message: str) -> Problem:
        return Problem(file=self.file, line=self.line(path), subject=subject, message=message)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.rules)


def pack_identity(path: str | os.PathLike[str]) -> tuple[int, int] | str:
    """What makes two paths one pack file: its device and inode (so a symlink, a relative and
    an absolute path, or a hard link reach the same one), else its resolved path."""
    try:
        stat = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (stat.st_dev, stat.st_ino) if stat.st_ino else os.path.realpath(path)


def find_packs(
    paths: Iterable[str | os.PathLike[str]], *, seen: set[tuple[int, int] | str] | None = None
) -> list[FsPath]:
    """Pack files under ``paths``: a file as given, a directory's ``*.toml`` (recursively, sorted;
    ``payer.toml`` payer definitions excepted).

    A file reached twice (one directory given twice, by a symlink, a relative and an absolute
    path, or inside another given directory) is listed once, where it is first reached.

    :param seen: the :func:`pack_identity` of files already listed by earlier calls (updated):
        the built-in plugin shares one across its sources, so a plugin's pack directory also on
        ``PAYER_RULES_PATH`` loads once.
    """
    found: list[FsPath] = []
    seen = set() if seen is None else seen

    def add(path: FsPath) -> None:
        identity = pack_identity(path)
        if identity not in seen:
            seen.add(identity)
            found.append(path)

    for raw in paths:
        path = FsPath(raw)
        if path.is_dir():
            # ``payer.toml`` is a payer definition read by a payer plugin (docs/commercial-payers.md)
            for pack in sorted(p for p in path.rglob("*.toml") if p.is_file() and p.name != "payer.toml"):
                add(pack)
        elif path.is_file():
            add(path)
        else:
            raise RulepackError.single(path, "path", "no such rulepack file or directory")
    return found


def may_apply(
    path: str | os.PathLike[str], payers: Collection[str], *, parsed: ParsedFiles | None = None
) -> bool:
    """Whether the pack at ``path`` may hold rules for one of ``payers``, from its parsed TOML alone.

    A run that judges only some payers loads only the packs that list (``[pack] payers``) or
    declare (``[payer] id``) one of them, and the packs that name no payer (reference packs,
    whose fee schedules ``percent-of-reference`` may name). A file this cannot tell about (not
    readable, not TOML, tables of the wrong shape) may apply: loading it reports its problems.

    :param parsed: keeps the document for :func:`load_pack` with the same ``parsed``, which
        then does not parse the file again.
    """
    files = parsed or ParsedFiles()
    try:
        _text, doc = files.read(path, keep=True)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    if _names_one_of(doc, payers):
        return True
    files.forget(path)  # not loaded: not kept for the rest of the build
    return False


def _names_one_of(doc: dict[str, Any], payers: Collection[str]) -> bool:
    """:func:`may_apply` for a parsed pack."""
    meta, payer = doc.get("pack"), doc.get("payer")
    listed = meta.get("payers", []) if isinstance(meta, dict) else None
    declared = payer.get("id") if isinstance(payer, dict) else None
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        return True
    names = [*listed, *([declared] if declared is not None else [])]
    if not all(isinstance(p, str) for p in names):
        return True
    return not names or any(p.strip().lower() in payers for p in names)


def _subject(raw: Any, index: int) -> str:
    code = raw.get("code") if isinstance(raw, dict) else None
    return code if isinstance(code, str) and code else f"rules[{index}]"


def _schema_problems(
    file: str, positions: Positions, subject: str, found: list[SchemaProblem]
) -> list[Problem]:
    out = []
    for p in found:
        where = ".".join(str(x) if isinstance(x, str) else f"[{x}]" for x in p.path).replace(".[", "[")
        out.append(
            Problem(
                file=file,
                line=positions.line(p.path),
                subject=subject,
                message=f"{p.message} @ {where}" if where else p.message,
            )
        )
    return out


@building()
def load_pack(
    path: str | os.PathLike[str], kinds: Mapping[str, RuleKind], *, parsed: ParsedFiles | None = None
) -> Pack:
    """Read and check one pack file.

    :param parsed: the run's parsed files: a document :func:`may_apply` kept is taken, not
        parsed again.
    :raises RulepackError: every problem found, each located.
    """
    file = os.fspath(path)
    try:
        # tomllib's document, cached on disk once parsed
        text, doc = (parsed or ParsedFiles()).read(file)
    except UnicodeDecodeError as exc:
        raise RulepackError.single(
            file, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise RulepackError.single(file, "file", f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        line, column, message = syntax_location(exc)
        raise RulepackError(
            [Problem(file=file, line=line, column=column, subject="TOML", message=f"invalid TOML: {message}")]
        ) from None
    positions = Positions(text)
    problems: list[Problem] = []

    def at(path: Path, subject: str, message: str) -> None:
        problems.append(Problem(file=file, line=positions.line(path), subject=subject, message=message))

    for key in doc:
        if key not in _TOP_KEYS:
            import difflib  # only for a mistake: slow to import at every start

            close = difflib.get_close_matches(key, _TOP_KEYS, n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            at((key,), f"[{key}]", f"unknown table {key!r}{hint}; a pack has: {', '.join(_TOP_KEYS)}")

    meta: PackMeta | None = None
    if "pack" not in doc:
        problems.append(
            Problem(
                file=file,
                line=1,
                subject="[pack]",
                message="missing the [pack] table (name, prefix, version, payers, effective_from, source)",
            )
        )
    elif not isinstance(doc["pack"], dict):
        at(("pack",), "[pack]", "pack must be a table: [pack]")
    else:
        meta, found = structure(_CONVERTER, doc["pack"], PackMeta, ("pack",))
        problems += _schema_problems(file, positions, "[pack]", found)
    payer: PayerDecl | None = None
    if "payer" in doc:
        payer, found = structure(_CONVERTER, doc["payer"], PayerDecl, ("payer",))
        problems += _schema_problems(file, positions, "[payer]", found)
    defaults = doc.get("case_defaults", {})
    if not isinstance(defaults, dict):
        at(("case_defaults",), "[case_defaults]", "case_defaults must be a table of claim fields")
        defaults = {}

    raw_rules = doc.get("rules", [])
    rules: list[Rule] = []
    located: list[tuple[int, Rule]] = []
    if not isinstance(raw_rules, list):
        at(("rules",), "rules", "rules must be an array of tables: [[rules]]")
        raw_rules = []
    if not raw_rules and "rules" not in doc:
        at(("pack",), "[pack]", "the pack has no [[rules]]")
    for i, raw in enumerate(raw_rules):
        subject = _subject(raw, i)
        if not isinstance(raw, dict):
            at(("rules", i), subject, "each rule must be a table")
            continue
        kind_name = raw.get("kind")
        if kind_name is None:
            at(("rules", i), subject, f"missing required key 'kind'; one of: {', '.join(sorted(kinds))}")
            continue
        if not isinstance(kind_name, str) or kind_name not in kinds:
            import difflib  # only for a mistake: slow to import at every start

            close = difflib.get_close_matches(str(kind_name), list(kinds), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            at(
                ("rules", i, "kind"),
                subject,
                f"unknown kind {kind_name!r}{hint}; known kinds: {', '.join(sorted(kinds))}",
            )
            continue
        rule, found = structure(_CONVERTER, raw, kinds[kind_name].schema, ("rules", i))
        problems += _schema_problems(file, positions, subject, found)
        if rule is not None:
            rules.append(rule)
            located.append((i, rule))
            problems += _check_rule(file, positions, rule, i, kinds[kind_name], meta)

    if meta is not None:
        problems += _check_meta(file, positions, meta, payer)
        problems += _check_overlaps(file, positions, located)
    if problems:
        raise RulepackError(problems)
    assert meta is not None
    return Pack(
        file=file, meta=meta, payer=payer, rules=tuple(rules), case_defaults=defaults, positions=positions
    )


def _check_meta(
    file: str, positions: Positions, meta: PackMeta, payer: PayerDecl | None
) -> Iterator[Problem]:
    def p(path: Path, message: str) -> Problem:
        return Problem(file=file, line=positions.line(path), subject="[pack]", message=message)

    if not _PREFIX.match(meta.prefix):
        yield p(("pack", "prefix"), f"prefix must be 2-6 upper-case letters, got {meta.prefix!r}")
    if not KEBAB.match(meta.name):
        yield p(("pack", "name"), f"pack name must be kebab-case (a-z, 0-9, -), got {meta.name!r}")
    for i, payer_id in enumerate(meta.payers):
        try:
            if _payer_id(payer_id) != payer_id:
                raise ValueError
        except ValueError:
            yield p(("pack", "payers", i), f"payer id must be one lower-case word, got {payer_id!r}")
    if meta.effective_to is not None and meta.effective_to < meta.effective_from:
        yield p(
            ("pack", "effective_to"),
            f"effective_to {meta.effective_to} is before effective_from {meta.effective_from}",
        )
    if payer is not None and payer.id not in meta.payers:
        yield Problem(
            file=file,
            line=positions.line(("payer", "id")),
            subject="[payer]",
            message=f"the pack declares payer {payer.id!r} but its [pack] payers do not list it",
        )


@functools.lru_cache(maxsize=64)
def _code_pattern(prefix: str) -> re.Pattern[str]:
    """A pack's rule codes: its prefix and at least 3 digits (compiled once, not per rule)."""
    return re.compile(rf"{re.escape(prefix)}\d{{3,}}")


@functools.lru_cache(maxsize=4096)
def _placeholders(message: str) -> frozenset[str]:
    """:func:`placeholders`, once per distinct message (rules of a pack share their messages)."""
    return frozenset(placeholders(message))


def _check_rule(
    file: str, positions: Positions, rule: Rule, index: int, kind: RuleKind, meta: PackMeta | None
) -> Iterator[Problem]:
    def p(rest: Path, message: str) -> Problem:
        return Problem(
            file=file, line=positions.line(("rules", index, *rest)), subject=rule.code, message=message
        )

    if meta is not None and not _code_pattern(meta.prefix).fullmatch(rule.code):
        yield p(
            ("code",),
            f"code must be the pack prefix {meta.prefix!r} and at least 3 digits, e.g. {meta.prefix}101",
        )
    if not KEBAB.match(rule.name):
        yield p(("name",), f"name must be kebab-case (a-z, 0-9, -), got {rule.name!r}")
    if rule.severity.rank <= Severity.PEND.rank and not (rule.carc and rule.group):
        yield p(("severity",), f"a {rule.severity} rule must give the carc and group the payer sends")
    if rule.carc is not None and not CARC.match(rule.carc):
        yield p(
            ("carc",), f"carc must be a claim adjustment reason code like '50' or 'B7', got {rule.carc!r}"
        )
    for j, rarc in enumerate(rule.rarcs):
        if not RARC.match(rarc):
            yield p(("rarcs", j), f"a RARC looks like 'N386' or 'MA130', got {rarc!r}")
    if rule.effective_to is not None and rule.effective_to < rule.effective_from:
        yield p(
            ("effective_to",),
            f"effective_to {rule.effective_to} is before effective_from {rule.effective_from}",
        )
    if meta is not None:
        if rule.effective_from < meta.effective_from:
            yield p(
                ("effective_from",),
                f"starts {rule.effective_from}, before the pack's effective_from {meta.effective_from}",
            )
        if meta.effective_to is not None and (
            rule.effective_to is None or rule.effective_to > meta.effective_to
        ):
            yield p(
                ("effective_to",),
                f"ends {rule.effective_to or 'open'}, after the pack's effective_to {meta.effective_to}",
            )
    unknown = _placeholders(rule.message) - COMMON_PLACEHOLDERS - kind.placeholders
    if unknown:
        known = ", ".join(sorted(COMMON_PLACEHOLDERS | kind.placeholders))
        yield p(
            ("message",),
            f"unknown placeholder(s) {', '.join('{' + u + '}' for u in sorted(unknown))}; known: {known}",
        )
    if not rule.citation.strip():
        yield p(
            ("citation",), "citation must name the policy (manual chapter and section, NCD / LCD id or URL)"
        )
    if kind.lint is not None:
        for rest, message in kind.lint(rule):
            yield p(rest, message)


def _overlap(a: Rule, b: Rule) -> bool:
    a_to = a.effective_to or dt.date.max
    b_to = b.effective_to or dt.date.max
    return a.effective_from <= b_to and b.effective_from <= a_to


def _check_overlaps(file: str, positions: Positions, rules: Sequence[tuple[int, Rule]]) -> Iterator[Problem]:
    seen: dict[str, list[Rule]] = {}
    for i, rule in rules:
        for other in seen.get(rule.code, []):
            where = positions.line(("rules", i))
            if other.name != rule.name or other.kind != rule.kind:
                yield Problem(
                    file=file,
                    line=where,
                    subject=rule.code,
                    message=(
                        f"code {rule.code} is used for two rules ({other.name} / {rule.name}); "
                        "codes are never reused"
                    ),
                )
            elif _overlap(other, rule):
                yield Problem(
                    file=file,
                    line=where,
                    subject=rule.code,
                    message=(
                        f"effective {rule.effective_from} to {rule.effective_to or 'open'} overlaps another "
                        f"version of {rule.code} ({other.effective_from} to {other.effective_to or 'open'})"
                    ),
                )
        seen.setdefault(rule.code, []).append(rule)


@building()
def load_packs(
    paths: Iterable[str | os.PathLike[str]],
    kinds: Mapping[str, RuleKind],
    *,
    origin: str = "",
    parsed: ParsedFiles | None = None,
) -> list[Pack]:
    """Load every pack under ``paths`` and check them together.

    :param origin: who registered them (``plugin medicare``), added to every message.
    :param parsed: the run's parsed files (see :func:`load_pack`).
    :raises RulepackError: every problem of every file.
    """
    packs: list[Pack] = []
    problems: list[Problem] = []
    for path in find_packs(paths):
        try:
            packs.append(load_pack(path, kinds, parsed=parsed))
        except RulepackError as exc:
            problems += exc.problems
    problems += cross_check(packs)
    if problems:
        if origin:
            problems = [
                Problem(
                    file=p.file,
                    line=p.line,
                    column=p.column,
                    subject=p.subject,
                    message=f"{p.message} [{origin}]",
                )
                for p in problems
            ]
        raise RulepackError(problems)
    return packs


def cross_check(packs: Sequence[Pack]) -> list[Problem]:
    """Problems only visible across packs: duplicate pack names, codes and payer declarations."""
    problems: list[Problem] = []
    names: dict[str, Pack] = {}
    owners: dict[str, tuple[Pack, int]] = {}
    payers: dict[str, Pack] = {}
    for pack in packs:
        if pack.meta.name in names and names[pack.meta.name].file != pack.file:
            problems.append(
                pack.problem(
                    ("pack", "name"),
                    "[pack]",
                    f"pack name {pack.meta.name!r} is also used by {names[pack.meta.name].file}",
                )
            )
        names.setdefault(pack.meta.name, pack)
        if pack.payer is not None:
            first = payers.setdefault(pack.payer.id, pack)
            if first is not pack:
                problems.append(
                    pack.problem(
                        ("payer", "id"),
                        "[payer]",
                        f"payer {pack.payer.id!r} is already declared by {first.file}",
                    )
                )
        for i, rule in enumerate(pack.rules):
            owner = owners.get(rule.code)
            if owner is None:
                owners[rule.code] = (pack, i)
            elif owner[0].file != pack.file:
                other, j = owner
                where = f"{other.file}:{other.rule_line(j)}" if other.rule_line(j) else other.file
                problems.append(
                    Problem(
                        file=pack.file,
                        line=pack.rule_line(i),
                        subject=rule.code,
                        message=(
                            f"duplicate code: {rule.code} is already defined in pack "
                            f"{other.meta.name} ({where})"
                        ),
                    )
                )
    return problems


def lint_cases(packs: Sequence[Pack]) -> list[Problem]:
    """Every rule in use needs a case that fires and one that does not; expected codes must exist."""
    problems: list[Problem] = []
    for pack in packs:
        codes = pack.codes
        for i, rule in enumerate(pack.rules):
            if rule.status is Status.REMOVED:
                continue
            fires = [c for c in rule.cases if rule.code in c.expect]
            quiet = [c for c in rule.cases if rule.code not in c.expect]
            if not fires:
                problems.append(
                    pack.problem(
                        ("rules", i),
                        rule.code,
                        'no case that fires: add [[rules.cases]] with expect = ["' + rule.code + '"]',
                    )
                )
            if not quiet:
                problems.append(
                    pack.problem(
                        ("rules", i),
                        rule.code,
                        "no case that does not fire: add [[rules.cases]] with expect = []",
                    )
                )
            for j, case in enumerate(rule.cases):
                for code in case.expect:
                    if code not in codes:
                        problems.append(
                            pack.problem(
                                ("rules", i, "cases", j, "expect"),
                                rule.code,
                                f"case {case.name!r} expects {code}, which is not a rule of this pack",
                            )
                        )
                if not case.claim and case.claim_file is None:
                    problems.append(
                        pack.problem(
                            ("rules", i, "cases", j),
                            rule.code,
                            f"case {case.name!r} gives neither claim nor claim_file",
                        )
                    )
    return problems
