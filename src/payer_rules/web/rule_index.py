"""Every rule the engine knows, indexed once for the rule browser: by code, procedure or diagnosis.

The content is ``payer-rules explain``'s (the engine's rule catalogue, :class:`RuleInfo`); rules
from rulepacks add their pack and their test cases. The index maps each code a rule mentions
(procedure and diagnosis codes in its pack definition and cases, and code-shaped words in its
summary, reasons and citation) to the rules, so finding the rules of a code is a dictionary
lookup. Free words (``timely filing``) fall back to matching the rules' own short texts.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

import attrs
from attrs import frozen

from payer_rules.codesets.registry import normalize
from payer_rules.engine import Engine
from payer_rules.rules import RuleInfo

__all__ = ["RuleEntry", "RuleIndex", "rule_index"]

#: Procedure (CPT / HCPCS) and ICD-10-CM shaped words: 82947, G0101, E11.9, S93.401A.
_CODE_WORD = re.compile(r"\b(?:[0-9]{4}[0-9FTU]|[A-V][0-9]{4}|[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?)\b")
#: A range of procedure codes in a rule's words (``82950-82952``); ranges wider than
#: :data:`MAX_RANGE` are left as their two ends.
_RANGE = re.compile(r"\b([0-9]{5})\s*(?:-|–|to|through)\s*([0-9]{5})\b")
MAX_RANGE = 200
_RULE_FIELDS = frozenset(
    {"code", "name", "kind", "severity", "status", "effective_from", "effective_to", "citation", "summary",
     "message", "why", "carc", "rarcs", "group", "since", "cases"}
)  # fmt: skip


@frozen
class CaseView:
    name: str
    fires: bool
    expect: tuple[str, ...]
    claim: str


@frozen
class RuleEntry:
    """One rule: its catalogue entry and, for rulepack rules, its pack and cases."""

    info: RuleInfo
    kind: str = ""
    pack: str = ""  #: pack name@version and file
    cases: tuple[CaseView, ...] = ()
    codes: frozenset[str] = frozenset()  #: normalized procedure and diagnosis codes it names


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _strings(v)
    elif attrs.has(type(value)):
        for f in attrs.fields(type(value)):
            yield from _strings(getattr(value, f.name))


def _codes(texts: Iterator[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        upper = text.upper()
        for word in _CODE_WORD.findall(upper):
            found.add(normalize(word))
        for first, last in _RANGE.findall(upper):  # 82950-82952 names 82951 too
            if 0 < int(last) - int(first) <= MAX_RANGE:
                found.update(f"{n:05d}" for n in range(int(first), int(last) + 1))
    return found


@frozen
class RuleIndex:
    entries: Mapping[str, RuleEntry]  #: rule code -> entry, in catalogue order
    by_code: Mapping[str, tuple[str, ...]]  #: procedure / diagnosis code -> rule codes

    @classmethod
    def build(cls, engine: Engine) -> RuleIndex:
        from payer_rules.rulepack.docs import case_summary

        packed: dict[str, tuple[Any, Any]] = {}
        plugin = engine.plugin_manager.get_plugin("rulepacks")
        for pack in getattr(getattr(plugin, "compiled", None), "packs", ()):
            for rule in pack.rules:
                packed[rule.code] = (pack, rule)
        entries: dict[str, RuleEntry] = {}
        by_code: dict[str, list[str]] = {}
        for code, info in sorted(engine.rules.items()):
            texts = [info.summary, info.why, info.citation, info.name]
            kind, where = "", ""
            cases: tuple[CaseView, ...] = ()
            if code in packed:
                pack, rule = packed[code]
                kind = rule.kind
                where = f"{pack.meta.name}@{pack.meta.version} ({PurePath(pack.file).name})"
                extra = {
                    f.name: getattr(rule, f.name)
                    for f in attrs.fields(type(rule))
                    if f.name not in _RULE_FIELDS
                }
                texts += list(_strings(extra))
                texts += [s for case in rule.cases for s in _strings(case.claim)]
                cases = tuple(
                    CaseView(case.name, rule.code in case.expect, case.expect, case_summary(case))
                    for case in rule.cases
                )
            codes = frozenset(_codes(iter(texts)))
            entries[code] = RuleEntry(info, kind, where, cases, codes)
            for c in codes:
                by_code.setdefault(c, []).append(code)
        return cls(entries, {k: tuple(v) for k, v in by_code.items()})

    def search(self, query: str) -> list[RuleEntry]:
        """Rules whose code starts with the query, that name it as a procedure or diagnosis code,
        or (for words) whose name, summary or reasons contain every word."""
        words = query.strip()
        if not words:
            return list(self.entries.values())
        key = normalize(words)
        hits = [code for code in self.entries if code.startswith(key)]
        hits += [code for code in self.by_code.get(key, ()) if code not in hits]
        if not hits:
            terms = words.lower().split()
            for code, entry in self.entries.items():
                text = " ".join(
                    (entry.info.name, entry.info.summary, entry.info.why, entry.info.citation)
                ).lower()
                if all(t in text for t in terms):
                    hits.append(code)
        return [self.entries[code] for code in hits]


_INDEXES: weakref.WeakKeyDictionary[Engine, RuleIndex] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def rule_index(engine: Engine) -> RuleIndex:
    """The engine's index, built on first use and kept as long as the engine (its rules never change)."""
    with _LOCK:
        index = _INDEXES.get(engine)
        if index is None:
            index = _INDEXES[engine] = RuleIndex.build(engine)
        return index
