"""Counting an article's words."""

from __future__ import annotations

import re

import numpy as np

# What joins two runs of word characters into one word.
_JOINERS = "'\u2019\u200c-"
# Possessive: a word never gives characters back, so the scan does not backtrack.
_WORD = re.compile(rf"\w++(?:[{_JOINERS}]\w++)*+")
# The same rule for ASCII bytes, read off the pattern's own classes.
_ASCII_WORD = np.array([i < 128 and re.fullmatch(r"\w", chr(i)) is not None
                        for i in range(256)])
_ASCII_JOINER = np.array([i < 128 and chr(i) in _JOINERS for i in range(256)])


def word_count(body: str | None) -> int:
    """Runs of word characters, a run joined to the next by an apostrophe, a hyphen or a
    zero-width non-joiner counting once (_WORD). An ASCII body is counted with numpy
    over its bytes, the same rule: the regular expression took a quarter of preparing
    an article for a write (120 µs of 470 for a 6 KB body)."""
    if not body:
        return 0
    if not body.isascii():
        return len(_WORD.findall(body))
    data = np.frombuffer(body.encode("ascii"), dtype=np.uint8)
    inside = _ASCII_WORD[data]
    starts = int(inside[0]) + int(np.count_nonzero(inside[1:] & ~inside[:-1]))
    joins = np.count_nonzero(_ASCII_JOINER[data[1:-1]] & inside[:-2] & inside[2:])
    return starts - int(joins)
