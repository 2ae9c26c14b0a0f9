"""MinHash signatures are stored: a new release must compute the same signature for
the same body, or near-duplicates written before it would no longer be found."""

import hashlib
import random

import pytest

from api.text import similarity
from api.writing.store import folded_body

# sha256 of the signature's values (as little-endian 64-bit hex text, the first release's
# encoding), as the first release to store them computed them.
STORED = {
    "Fighters said on Wednesday that the crossing was theirs, and officials denied it.":
        "9613c59da23113103f3c5d4d92512a309e0f84bcd66b7f1459cc42a445f13032",
    "نیروهای مرزی گفتند که گذرگاه اصلی را در اختیار دارند well-known U.S. officials' reply":
        "4d6d3ea8d732ebb043e7c1ceef93dbf0972e0077930e05cc9d8f73e84b236902",
    "Crossing reopened today":  # fewer words than a shingle
        "370e62bfa3fe754a380ea2f086524d8110abcc5667802a1e8261d9a3af9d189c",
}


def _long_body() -> str:
    """4,200 words: more shingles than one chunk of the hashing matrix holds."""
    rng = random.Random(4100)
    words = ["border", "crossing", "trade", "talks", "officials", "گذرگاه", "markets", "fuel"]
    return " ".join(rng.choice(words) + str(rng.randrange(50)) for _ in range(4200))


STORED[_long_body()] = "1ddfcfba3d9dbe0a85794a5addfaaa799273bde0febd9930369feb5321ae2254"


@pytest.mark.parametrize("body", STORED, ids=lambda body: body[:24])
def test_a_body_gets_the_signature_earlier_releases_stored(body):
    values = similarity.signature(folded_body(body))
    first_encoding = values.astype("<u8").tobytes().hex()

    assert hashlib.sha256(first_encoding.encode()).hexdigest() == STORED[body]
    assert (similarity.decode(similarity.encode(values)) == values).all()


def test_a_body_without_words_has_no_signature():
    assert similarity.signature(folded_body(" -- ... ?! ")) is None


def test_a_signature_agrees_with_stored_ones_position_by_position():
    body = _long_body()
    values = similarity.signature(folded_body(body))
    edited = similarity.signature(folded_body(body.replace("border1 ", "harbour ")))
    other = similarity.signature(folded_body("Markets rallied as fuel prices fell for a week."))
    stored = [similarity.encode(signature) for signature in (values, edited, other)]

    scores = similarity.similarities(values, stored)

    assert scores[0] == 1.0
    assert scores[1] == (values == edited).sum() / len(values)
    assert 0.5 < scores[1] < 1.0
    assert scores[2] < 0.1
    assert len(similarity.similarities(values, [])) == 0
