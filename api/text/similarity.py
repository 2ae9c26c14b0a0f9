"""Near-duplicate detection: MinHash signatures of word shingles, banded for LSH.

Two bodies' estimated Jaccard similarity is the share of signature slots they
agree on. With 16 bands of 4 slots, pairs at 0.5 similarity share a band about
65% of the time and pairs at 0.8 about 99.9%: SIMILARITY_THRESHOLD is where the
candidates found through the bands are cut.

The hashing is vectorised with numpy over the body's UTF-8 bytes (a word is a run
of ASCII letters, digits and underscores, or of non-ASCII characters), because a
per-shingle Python loop cost more than the rest of an article's write.
"""

from __future__ import annotations

import hashlib

import numpy as np

NUM_PERM = 64
BANDS = 16
ROWS_PER_BAND = NUM_PERM // BANDS
SHINGLE_WORDS = 5
SIMILARITY_THRESHOLD = 0.5

_RANDOM = np.random.default_rng(20210714)
# Odd multipliers for multiply-shift hashing (Dietzfelbinger): wrap-around uint64
# arithmetic, keep the high 32 bits.
_PERM_A = (_RANDOM.integers(1, 2**63, NUM_PERM, dtype=np.uint64) * 2 + 1)[:, None]
_PERM_B = _RANDOM.integers(0, 2**63, NUM_PERM, dtype=np.uint64)[:, None]
_SHINGLE_MIX = (_RANDOM.integers(1, 2**63, SHINGLE_WORDS, dtype=np.uint64) * 2 + 1)
_BYTE_BASE = np.uint64(1099511628211)
_MAX_WORD = 64
_CHUNK = 4096
_POWERS = np.cumprod(np.full(_MAX_WORD, _BYTE_BASE, dtype=np.uint64), dtype=np.uint64)
_WORD_BYTE = np.zeros(256, dtype=bool)
for _ranges in (range(48, 58), range(65, 91), range(97, 123), range(128, 256), [95]):
    _WORD_BYTE[list(_ranges)] = True


def _word_hashes(text: str) -> np.ndarray:
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    inside = _WORD_BYTE[data]
    positions = np.flatnonzero(inside)
    if len(positions) == 0:
        return np.empty(0, dtype=np.uint64)
    first = inside.copy()
    first[1:] &= ~inside[:-1]
    opens = first[positions]
    boundaries = np.flatnonzero(opens)
    word_of = np.cumsum(opens) - 1
    offset = np.minimum(positions - positions[boundaries][word_of], _MAX_WORD - 1)
    contributions = (data[positions].astype(np.uint64) + np.uint64(1)) * _POWERS[offset]
    return np.add.reduceat(contributions, boundaries)


def signature(folded: str) -> np.ndarray | None:
    """MinHash of the 5-word shingles of a body already folded (store.folded_body)."""
    words = _word_hashes(folded)
    if len(words) == 0:
        return None
    span = min(SHINGLE_WORDS, len(words))
    count = len(words) - span + 1
    shingles = words[:count] * _SHINGLE_MIX[0]
    for position in range(1, span):
        shingles += words[position:position + count] * _SHINGLE_MIX[position]
    # Repeated shingles need no removal: they cannot change a minimum. Chunks keep the
    # 64-row matrix small whatever the body's length; it is worked on in place, as
    # allocating it cost as much as the arithmetic.
    minimum = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    work = np.empty((NUM_PERM, min(count, _CHUNK)), dtype=np.uint64)
    for start in range(0, count, _CHUNK):
        part = shingles[start:start + _CHUNK]
        hashed = work[:, :len(part)]
        np.multiply(_PERM_A, part, out=hashed)
        hashed += _PERM_B
        hashed >>= np.uint64(32)
        np.minimum(minimum, hashed.min(axis=1), out=minimum)
    return minimum


def encode(values: np.ndarray) -> bytes:
    """The signature as stored: each value is the high half of a 64-bit product, so
    four bytes hold it."""
    return values.astype("<u4").tobytes()


def decode(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<u4").astype(np.uint64)


def buckets(values: np.ndarray) -> list[int]:
    """One LSH bucket per band, as a signed 64-bit key: articles sharing any key are
    candidate near-duplicates. The band's number is hashed in, so two bands never share
    a key by construction."""
    raw = values.astype("<u4").tobytes()
    width = ROWS_PER_BAND * 4
    return [int.from_bytes(hashlib.blake2b(bytes([band]) + raw[band * width:(band + 1) * width],
                                           digest_size=8).digest(), "little", signed=True)
            for band in range(BANDS)]


def similarities(values: np.ndarray, stored: list) -> np.ndarray:
    """How far a signature agrees with each of these stored ones (encode's bytes, or a
    driver's view of them): the share of positions holding the same value, 0 to 1. In
    one comparison, because a wire story copied by many outlets gives each new copy up
    to fifty candidates, compared inside the writer lock."""
    width = 4 * len(values)
    if any(len(signature) != width for signature in stored):
        raise ValueError("a stored signature has another number of values")
    matrix = np.frombuffer(b"".join(stored), dtype="<u4").reshape(len(stored), len(values))
    return (matrix == values).mean(axis=1)
