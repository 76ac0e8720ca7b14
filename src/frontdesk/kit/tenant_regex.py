"""Tenant-supplied regular expressions, run by RE2 so that matching is linear in the text.

Python's ``re`` backtracks: a tenant pattern like ``(a|aa)+b`` takes exponential time on a
visitor's message and, run on the event loop, freezes every tenant. RE2 (``google-re2``) never
backtracks. In exchange it refuses backreferences, lookahead/lookbehind, atomic groups and
possessive quantifiers, and ``\\w``, ``\\d``, ``\\s``, ``\\b`` are ASCII-only (``\\pL`` is any
letter). Every pattern a tenant can set goes through :func:`compile_tenant_regex`; the platform's
own built-in patterns stay on ``re``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re2

MAX_PATTERN_LENGTH = 200
# RE2's budget per pattern for its compiled program and DFA cache; a pattern whose program does
# not fit (``[\pL\pN]{100}`` …) is refused, and the DFA never grows past it.
MAX_MEMORY_BYTES = 1 << 20
# RE2 runs in time linear in (text length × program size): what a config's patterns may add up to
MAX_TOTAL_PROGRAM_SIZE = 20_000
SYNTAX_HINT = "RE2 syntax: no backreferences, lookaround, atomic groups or possessive quantifiers"


class TenantRegex:
    """A compiled tenant pattern: ``search`` for a hit, ``spans`` for every match (str offsets)."""

    __slots__ = ("_regex", "ignore_case", "pattern")

    def __init__(self, pattern: str, regex: Any, *, ignore_case: bool) -> None:
        self.pattern = pattern
        self.ignore_case = ignore_case
        self._regex = regex

    @property
    def program_size(self) -> int:
        """RE2 instructions: what matching costs per character, at worst."""
        return int(self._regex.programsize)

    def search(self, text: str) -> bool:
        return self._regex.search(text) is not None

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each non-overlapping match, leftmost first, like ``re.finditer``."""
        for match in self._regex.finditer(text):
            yield match.span()

    def __repr__(self) -> str:
        return f"TenantRegex({self.pattern!r}, ignore_case={self.ignore_case})"


def _reason(exc: Exception) -> str:
    raw = exc.args[0] if exc.args else ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text or "rejected"


def compile_tenant_regex(pattern: str, *, ignore_case: bool = False) -> TenantRegex:
    """Compile a tenant's pattern with RE2, or raise ``ValueError`` saying why it is refused."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError("pattern must be a non-empty string")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pattern is {len(pattern)} characters long; the limit is {MAX_PATTERN_LENGTH}")
    options = re2.Options()
    options.max_mem = MAX_MEMORY_BYTES
    options.case_sensitive = not ignore_case
    options.log_errors = False
    try:
        regex = re2.compile(pattern, options)
    except re2.error as exc:
        reason = _reason(exc)
        if "too large" in reason:
            raise ValueError(
                f"pattern {pattern!r} is too complex (it compiles past RE2's memory limit); "
                "use fewer or smaller repeats"
            ) from None
        raise ValueError(
            f"pattern {pattern!r} is not a valid regular expression ({SYNTAX_HINT}): {reason}"
        ) from None
    if regex.fullmatch("") is not None:
        raise ValueError(f"pattern {pattern!r} matches the empty string")
    return TenantRegex(pattern, regex, ignore_case=ignore_case)


def is_supported(pattern: str) -> bool:
    """Whether :func:`compile_tenant_regex` accepts ``pattern``."""
    try:
        compile_tenant_regex(pattern)
    except ValueError:
        return False
    return True


def check_total_size(regexes: list[TenantRegex], what: str) -> None:
    """Refuse a set of patterns (one config's) that together would cost too much per message."""
    total = sum(r.program_size for r in regexes)
    if total > MAX_TOTAL_PROGRAM_SIZE:
        raise ValueError(
            f"{what} are too complex together ({total:,} RE2 instructions; the limit is "
            f"{MAX_TOTAL_PROGRAM_SIZE:,}): use fewer patterns, or narrower classes than \\pL and '.'"
        )
