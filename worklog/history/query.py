"""What ``worklog grep`` looks for: a pattern, compiled when first used, and what its
parse tells about how it may be searched (plain strings, a string every match holds,
whether the bytes of a file can be searched in place of its text).

Matching is per line, like grep: PATTERN is a Python regular expression (``-F``: a plain
string) that must match within one line of the entry; ``^`` and ``$`` anchor at the
line's start and end, whatever the file's line breaks.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from worklog.errors import UsageError

with warnings.catch_warnings():  # the parser of ``re``, to tell what a pattern needs
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sre_c
    import sre_parse as sre_p


@dataclass(frozen=True)
class Query:
    """What to look for: a pattern, ``-i`` and ``-F``."""

    pattern: str
    ignore_case: bool = False
    fixed: bool = False

    def __post_init__(self) -> None:
        if not self.pattern:
            raise UsageError("PATTERN: empty (grep for something)")
        if "\n" in self.pattern or "\r" in self.pattern:
            raise UsageError("PATTERN: one line only (entries are matched line by line)")

    @cached_property
    def source(self) -> str:
        return re.escape(self.pattern) if self.fixed else self.pattern

    @cached_property
    def flags(self) -> int:
        return re.IGNORECASE if self.ignore_case else 0

    @cached_property
    def line_re(self) -> re.Pattern[str]:
        """The pattern as it applies to one line's content (without its line break)."""
        try:
            return re.compile(self.source, self.flags)
        except re.error as exc:
            raise UsageError(f"PATTERN: {exc} (a Python regular expression; -F for a "
                             "plain string)") from None

    @cached_property
    def block_source(self) -> str:
        """The source for searching many lines at once: ``^``/``$``/``\\A``/``\\Z`` made
        line anchors whatever the line breaks (a match may then run over a line break:
        the entry is checked line by line afterwards)."""
        self.line_re  # noqa: B018 - a bad pattern is reported as written
        return _line_anchored(self.source)

    def block_re(self) -> re.Pattern[str]:
        return re.compile(self.block_source, self.flags | re.MULTILINE)

    @cached_property
    def literals(self) -> tuple[str, ...] | None:
        """The strings the pattern stands for when it is one or a few plain strings
        (``-F``, ``qemu-kvm``, ``Bruce|Olaf``), else None."""
        if self.fixed:
            return (self.pattern,)
        return _literal_set(_items(sre_p.parse(self.source, self.flags)))

    @cached_property
    def folds_case(self) -> bool:
        """``-i``, or ``(?i)`` in the pattern."""
        parsed = sre_p.parse(self.source, self.flags)
        return bool((self.flags | parsed.state.flags) & re.IGNORECASE)

    @cached_property
    def required(self) -> tuple[str, bool] | None:
        """A plain string every match contains (the longest run of literal characters
        at the top of the pattern), and whether case is ignored; None when none has
        two characters or more."""
        parsed = sre_p.parse(self.source, self.flags)
        ignore = self.folds_case
        best = ""
        run: list[str] = []
        for op, av in [*_items(parsed), (None, None)]:
            if op is sre_c.LITERAL:
                run.append(chr(av))
                continue
            if len(run) > len(best):
                best = "".join(run)
            run = []
        return (best, ignore) if len(best) >= 2 else None

    @cached_property
    def bytes_safe(self) -> bool:
        """Whether a bytes search with this pattern finds every line the text pattern
        matches, in any ASCII-compatible encoding (a superset: lines are checked)."""
        if not self.source.isascii():
            return False
        return _safe(_items(sre_p.parse(self.source, self.flags)), single=False)

    def matches(self, line: str) -> bool:
        return self.line_re.search(line) is not None

    def spans(self, line: str) -> list[tuple[int, int]]:
        """Where the pattern matches in ``line`` (for highlighting), empty matches left out."""
        return [m.span() for m in self.line_re.finditer(line) if m.end() > m.start()]


_LINE_END = r"(?=[\r\n]|\Z)"
_LINE_START = r"(?:^|(?<=\r))"
_ANCHORS = {"$": _LINE_END, "^": _LINE_START, r"\Z": _LINE_END, r"\A": _LINE_START}


def _line_anchored(source: str) -> str:
    r"""``source`` with ``^``, ``$``, ``\A`` and ``\Z`` outside character classes turned
    into line anchors that also hold next to a CR (CRLF and lone-CR files)."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        token = source[i : i + 2] if source[i] == "\\" else source[i]
        if token == "[":  # a class, to its end: ']' first (or after '^') is a member
            j = i + 1 + (source[i + 1 : i + 2] == "^")
            j += source[j : j + 1] == "]"
            while j < n and source[j] != "]":
                j += 2 if source[j] == "\\" else 1
            token = source[i : j + 1]
        out.append(_ANCHORS.get(token, token))
        i += len(token)
    return "".join(out)


def _items(parsed: object) -> list[tuple[Any, Any]]:
    """The nodes of a parsed pattern (or of a part of one)."""
    nodes: Iterable[tuple[Any, Any]] = (parsed.data if isinstance(parsed, sre_p.SubPattern)
                                        else parsed)  # type: ignore[assignment]
    return list(nodes)


def _literal_set(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    if len(items) == 1 and items[0][0] is sre_c.SUBPATTERN:
        _, add, remove, body = items[0][1]
        if add or remove:
            return None
        return _literal_set(_items(body))
    if len(items) == 1 and items[0][0] is sre_c.BRANCH:
        alts: list[str] = []
        for alt in items[0][1][1]:
            sub = _literal_set(_items(alt))
            if sub is None or len(sub) != 1:
                return None
            alts.append(sub[0])
        return tuple(alts)
    if items and all(op is sre_c.LITERAL for op, _ in items):
        return ("".join(chr(av) for _, av in items),)
    return None


_ANY_LIKE = {sre_c.ANY, sre_c.NOT_LITERAL}
_NEGATED_CATEGORIES = {sre_c.CATEGORY_NOT_DIGIT, sre_c.CATEGORY_NOT_SPACE,
                       sre_c.CATEGORY_NOT_WORD}


def _set_safe(items: Sequence[tuple[object, object]], *, single: bool) -> bool:
    """A character set ``[...]``: ASCII members only; negated sets (and negated
    categories) only where one character may take several bytes (``single``)."""
    negated = bool(items) and items[0][0] is sre_c.NEGATE
    for op, av in items[1:] if negated else items:
        if op is sre_c.LITERAL:
            if not isinstance(av, int) or av >= 128:
                return False
        elif op is sre_c.RANGE:
            if not isinstance(av, tuple) or av[1] >= 128:
                return False
        elif op is sre_c.CATEGORY:
            if av not in _NEGATED_CATEGORIES or not single:
                return False
        else:
            return False
    return single or not negated


def _one_char_any(op: object, av: object, *, single: bool) -> bool:
    """One character class that may stand for several bytes only under an unbounded
    repeat: ``.``, ``[^x]``, ``\\S``..."""
    if op in _ANY_LIKE:
        return op is sre_c.ANY or (isinstance(av, int) and av < 128)
    if op is sre_c.IN and isinstance(av, list):
        return _set_safe(av, single=True)
    if op is sre_c.CATEGORY:
        return av in _NEGATED_CATEGORIES
    return False


def _safe(parsed: Iterable[tuple[object, object]], *, single: bool) -> bool:  # noqa: C901, PLR0911, PLR0912
    """Whether each line the text pattern matches is also found by the bytes pattern
    (``single``: directly under an unbounded repeat, where one character may be
    several bytes)."""
    for op, av in parsed:
        if op is sre_c.LITERAL:
            if not isinstance(av, int) or av >= 128:
                return False
        elif op is sre_c.IN:
            if not isinstance(av, list) or not _set_safe(av, single=single):
                return False
        elif op in _ANY_LIKE or op is sre_c.CATEGORY:
            if not single or not _one_char_any(op, av, single=True):
                return False
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            assert isinstance(av, tuple)
            _low, high, body = av
            body_items = _items(body)
            unbounded = high is sre_c.MAXREPEAT
            if unbounded and len(body_items) == 1 and _one_char_any(*body_items[0],
                                                                    single=True):
                continue
            if not _safe(body_items, single=False):
                return False
        elif op is sre_c.SUBPATTERN:
            assert isinstance(av, tuple)
            if not _safe(_items(av[3]), single=False):
                return False
        elif op is sre_c.BRANCH:
            assert isinstance(av, tuple)
            if not all(_safe(_items(alt), single=False) for alt in av[1]):
                return False
        elif op is sre_c.AT:
            if av is sre_c.AT_NON_BOUNDARY:
                return False
        elif op is sre_c.ASSERT:
            assert isinstance(av, tuple)
            if av[0] != 1 or not _safe(_items(av[1]), single=False):
                return False
        else:  # back-references, look-behinds, negative look-aheads, atomic groups...
            return False
    return True

