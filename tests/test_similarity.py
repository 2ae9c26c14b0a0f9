"""MinHash signatures are stored: a new release must compute the same signature for
the same body, or near-duplicates written before it would no longer be found."""

import hashlib

import pytest

from api import similarity
from api.store import folded_body

# sha256 of similarity.encode(signature) as the first release to store them computed it.
STORED = {
    "Fighters said on Wednesday that the crossing was theirs, and officials denied it.":
        "9613c59da23113103f3c5d4d92512a309e0f84bcd66b7f1459cc42a445f13032",
    "نیروهای مرزی گفتند که گذرگاه اصلی را در اختیار دارند well-known U.S. officials' reply":
        "4d6d3ea8d732ebb043e7c1ceef93dbf0972e0077930e05cc9d8f73e84b236902",
}


@pytest.mark.parametrize("body", STORED)
def test_a_body_gets_the_signature_earlier_releases_stored(body):
    encoded = similarity.encode(similarity.signature(folded_body(body)))
    assert hashlib.sha256(encoded.encode()).hexdigest() == STORED[body]


def test_a_body_without_words_has_no_signature():
    assert similarity.signature(folded_body(" -- ... ?! ")) is None
