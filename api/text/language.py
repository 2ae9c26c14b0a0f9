"""Guessing an article's language when the client did not give one."""

from __future__ import annotations

from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException
from langdetect.detector_factory import init_factory

# The opening paragraph decides; more text costs time, hardly accuracy.
_SAMPLE_CHARS = 600
_MIN_PROBABILITY = 0.80


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    init_factory()
    from langdetect.detector_factory import _factory as loaded
    return loaded


def detect_language(text: str | None) -> str | None:
    """A BCP 47 tag such as 'en' or 'fa', or None when the text is too short or mixed."""
    if not text or len(text.strip()) < 20:
        return None
    detector = _factory().create()
    # A fixed seed makes the same text give the same answer in every process.
    detector.seed = 0
    detector.append(text[:_SAMPLE_CHARS])
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return None
    if best.prob < _MIN_PROBABILITY:
        return None
    return "zh-Hans" if best.lang == "zh-cn" else "zh-Hant" if best.lang == "zh-tw" else best.lang
