"""Structure-aware mutations for the fuzz suite: valid inputs, changed the way real files break.

Each mutator takes Hypothesis' ``data`` and a valid input and returns a damaged one: a JSON
tree with a value replaced, removed, duplicated or retyped; an X12 interchange with segments
dropped, repeated or swapped and elements replaced by hostile values; a TOML rulepack or a CSV
import file changed line by line. Every input is also cut short or has a character inserted now
and then, as truncated transfers and editors do.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

#: Numbers written into JSON text as they are (json.dumps could not write most of them).
RAW_NUMBERS = [
    "1e400",
    "-1e400",
    "1e23",
    "1E-400",
    "0.001",
    "-0",
    "9999999999.99",
    "10000000000.00",
    "12.345",
    "1" * 5_000,
    "NaN",
    "Infinity",
    "-Infinity",
    "0",
    "-1",
    "2",
    "99999999999999999999999",
]

HOSTILE_STRINGS = [
    "",
    " ",
    "0.001",
    "1e400",
    "NaN",
    "-1",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-13-01",
    "x" * 10_000,
    "line\nbreak\r\x1b[31mred\x00nul",
    "\u2028\u2029\ufeff",
    "💥ü",
    "99213",
    "E11.9",
    "ZZZZZZZ",
    "medicare",
    "a" * 200,
    "[",
    "{",
    "~*:^",
]


class Raw:
    """A JSON token written verbatim (a number json.dumps cannot or will not write)."""

    def __init__(self, text: str) -> None:
        self.text = text


def deep(levels: int) -> Raw:
    return Raw("[" * levels + "]" * levels)


def hostile_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(RAW_NUMBERS).map(Raw),
        st.sampled_from(HOSTILE_STRINGS),
        st.sampled_from([None, True, False, [], {}, [[]], {"": None}, 2**64, -(2**63)]),
        st.sampled_from([50, 950, 3_000, 100_000]).map(deep),
        st.text(max_size=20),
        st.integers(min_value=-(10**6), max_value=10**6),
    )


def dumps(value: Any) -> str:
    """JSON text for a tree that may hold :class:`Raw` tokens."""
    raws: list[str] = []

    def default(obj: Any) -> Any:
        if isinstance(obj, Raw):
            raws.append(obj.text)
            return f"\x00RAW{len(raws) - 1}\x00"
        raise TypeError(type(obj).__name__)

    text = json.dumps(value, default=default, ensure_ascii=False)
    for n, raw in enumerate(raws):
        text = text.replace(f'"\\u0000RAW{n}\\u0000"', raw, 1)
    return text


def _slots(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, Any, tuple[Any, ...]]]:
    """Every (container, key, path) in a JSON tree, containers before what they hold."""
    found: list[tuple[Any, Any, tuple[Any, ...]]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.append((tree, key, (*path, key)))
            found.extend(_slots(value, (*path, key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found.append((tree, index, (*path, index)))
            found.extend(_slots(value, (*path, index)))
    return found


def mutate_tree(data: st.DataObject, tree: Any, *, rounds: int = 3) -> Any:
    """Up to ``rounds`` structural changes to a parsed JSON value (changed in place)."""
    for _ in range(data.draw(st.integers(1, rounds), label="rounds")):
        slots = _slots(tree)
        if not slots:
            return data.draw(hostile_values(), label="whole")
        container, key, _path = data.draw(st.sampled_from(slots), label="slot")
        op = data.draw(
            st.sampled_from(["replace", "replace", "delete", "add", "duplicate", "wrap"]), label="op"
        )
        if op == "replace":
            container[key] = data.draw(hostile_values(), label="value")
        elif op == "delete":
            del container[key]
        elif op == "add" and isinstance(container, dict):
            container[data.draw(st.sampled_from(["ammount", "x", "", "id", "lines"]), label="key")] = (
                data.draw(hostile_values(), label="added")
            )
        elif op == "duplicate" and isinstance(container, list):
            container.insert(key, json.loads(json.dumps(container[key], default=str)))
        elif op == "wrap":
            container[key] = (
                data.draw(st.sampled_from(["list", "dict"])) == "list" and [container[key]]
            ) or {"value": container[key]}
    return tree


def damage_text(data: st.DataObject, text: str) -> str:
    """Now and then: cut the text short, or insert / delete one character."""
    op = data.draw(st.sampled_from(["none", "none", "none", "truncate", "insert", "delete"]), label="text op")
    if op == "none" or not text:
        return text
    at = data.draw(st.integers(0, len(text) - 1), label="at")
    if op == "truncate":
        return text[:at]
    if op == "insert":
        return (
            text[:at]
            + data.draw(st.sampled_from(["\n", "\x00", '"', "{", "]", "*", "~", "é", "\r"]))
            + text[at:]
        )
    return text[:at] + text[at + 1 :]


# -- X12 -----------------------------------------------------------------------------------------

X12_VALUES = [
    "",
    "1E23",
    "1" * 21,
    "99999999999",
    "-5",
    "0.001",
    "10.001",
    "20260230",
    "20260101-20251231",
    "ABC",
    "*",
    ":",
    "^",
    "9" * 30,
    "005010X224A2",
    "005010X298",
    "835",
    "HC:",
    "HC:99213:25:59:XS:76:GA",
    "ABK:",
    "ZZ",
    "x" * 300,
]


def mutate_x12(data: st.DataObject, text: str, *, rounds: int = 4) -> str:
    """Segments dropped, repeated or swapped; elements replaced, dropped or added."""
    terminator = "~"
    segments = text.split(terminator)
    for _ in range(data.draw(st.integers(1, rounds), label="rounds")):
        if not segments:
            break
        i = data.draw(st.integers(0, len(segments) - 1), label="segment")
        op = data.draw(
            st.sampled_from(["element", "element", "element", "drop", "repeat", "swap", "cut", "add"]),
            label="x12 op",
        )
        elements = segments[i].split("*")
        if op == "element" and len(elements) > 1:
            j = data.draw(st.integers(1, len(elements) - 1), label="element")
            elements[j] = data.draw(
                st.one_of(st.sampled_from(X12_VALUES), st.text(max_size=12)), label="value"
            )
            segments[i] = "*".join(elements)
        elif op == "drop":
            del segments[i]
        elif op == "repeat":
            segments.insert(i, segments[i])
        elif op == "swap":
            j = data.draw(st.integers(0, len(segments) - 1), label="other")
            segments[i], segments[j] = segments[j], segments[i]
        elif op == "cut":
            segments[i] = "*".join(elements[: data.draw(st.integers(1, max(1, len(elements))), label="keep")])
        elif op == "add":
            segments[i] = segments[i] + "*" + data.draw(st.sampled_from(X12_VALUES), label="extra")
    return damage_text(data, terminator.join(segments))


# -- text files: rulepacks (TOML) and importer files (CSV, fixed width) --------------------------

TOML_VALUES = [
    '""',
    '"\\n"',
    '"DC\\nT"',
    "1e400",
    "99999999999999999999",
    "-1",
    "nan",
    "inf",
    "true",
    "2026-02-30",
    "[]",
    "[[]]",
    "{}",
    '"' + "x" * 5_000 + '"',
    '["99213", 1]',
    "{ from = 2027-01-01 }",
    '"0.001"',
    '"1e400"',
    "[",
]


def mutate_lines(
    data: st.DataObject, text: str, values: list[str], *, rounds: int = 3, sep: str = "="
) -> str:
    """Lines dropped, repeated or swapped; a value after ``sep`` (or a cell) replaced."""
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, rounds), label="rounds")):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        op = data.draw(
            st.sampled_from(["value", "value", "drop", "repeat", "swap", "insert"]), label="line op"
        )
        if op == "value" and sep in lines[i]:
            cells = lines[i].split(sep)
            j = data.draw(st.integers(0 if sep == "," else 1, len(cells) - 1), label="cell")
            cells[j] = (" " if sep == "=" else "") + data.draw(
                st.one_of(st.sampled_from(values), st.text(max_size=10)), label="value"
            )
            lines[i] = sep.join(cells)
        elif op == "drop":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = data.draw(st.integers(0, len(lines) - 1), label="other")
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(
                i,
                data.draw(
                    st.sampled_from(
                        ["[" + " " * 3_000, "[[rules]]", "[pack]", "x = ", '"a" = 1', "", "#", "[a.b.c]"]
                    )
                ),
            )
    return damage_text(data, "\n".join(lines))
