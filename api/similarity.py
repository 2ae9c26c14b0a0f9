"""Near-duplicate detection: MinHash signatures of word shingles, banded for LSH.

Two bodies' estimated Jaccard similarity is the share of signature slots they
agree on. With 16 bands of 4 slots, pairs at 0.5 similarity share a band about
65% of the time and pairs at 0.8 about 99.9%: SIMILARITY_THRESHOLD is where the
candidates found through the bands are cut.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import lru_cache

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
BANDS = 16
ROWS_PER_BAND = NUM_PERM // BANDS
SHINGLE_WORDS = 5
SIMILARITY_THRESHOLD = 0.5
_SEED = 20210714
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _template() -> MinHash:
    # Permutations are drawn once; every signature must use the same ones.
    return MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=zlib.crc32)


def signature(body: str | None) -> np.ndarray | None:
    """MinHash of the body's 5-word shingles (after NFKC and case folding)."""
    if not body:
        return None
    words = _WORD.findall(unicodedata.normalize("NFKC", body).casefold())
    if not words:
        return None
    span = min(SHINGLE_WORDS, len(words))
    shingles = {" ".join(words[i:i + span]).encode("utf-8")
                for i in range(len(words) - span + 1)}
    template = _template()
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32,
                      permutations=template.permutations, scheme=template.scheme)
    minhash.update_batch(list(shingles))
    return minhash.hashvalues.astype(np.uint64)


def encode(values: np.ndarray) -> str:
    return values.astype("<u8").tobytes().hex()


def decode(text: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(text), dtype="<u8")


def buckets(values: np.ndarray) -> list[tuple[int, str]]:
    """(band, bucket) pairs: articles sharing any pair are candidate near-duplicates."""
    raw = values.astype("<u8").tobytes()
    width = ROWS_PER_BAND * 8
    return [(band, hashlib.blake2b(raw[band * width:(band + 1) * width],
                                   digest_size=8).hexdigest())
            for band in range(BANDS)]


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.mean(first == second))
