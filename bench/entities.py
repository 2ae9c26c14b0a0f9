"""Entity extraction quality: precision, recall and F1 per field on a labelled set.

    python -m bench.entities                 # the development set and the held-out sets
    python -m bench.entities --set heldout4  # one of them
    python -m bench.entities --set dev --show   # and every miss and false find

Each item of bench/data/entities-<set>.jsonl is a raw news item with the lists a desk
editor wrote for it. The item goes through the same steps as POST /articles with
text/plain: the raw-text reader, language detection, then the entity extractor. A name
counts when it equals a label after case folding. Scores are micro-averaged over the set.
Each held-out set was written, by someone who saw neither the extractor nor the other
sets, after the extractor was frozen: `heldout` after the first freeze, `heldout2`
after the second, `heldout3` after the third, `heldout4` after the fourth, `heldout5`
after the fifth. The rules added before each freeze from the third on came from the
errors on `dev` and on the held-out sets before it, which from then on count as
development data; `heldout5` has never been tuned on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from api.text.entities import FIELDS, extract_entities
from api.text.extract import extract
from api.text.language import detect_language

DATA = Path(__file__).with_name("data")
SETS = ["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5"]


def load(name: str) -> list[dict]:
    path = DATA / f"entities-{name}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def predict(item: dict) -> dict[str, list[str]]:
    fields = extract(item["text"])
    language = detect_language(fields["body"] or fields["headline"])
    found = extract_entities(fields["headline"], fields["body"], fields["dateline"], language)
    return found.as_dict()


def score(items: list[dict], show: bool = False) -> dict[str, dict[str, float]]:
    counts = {name: [0, 0, 0] for name in FIELDS}  # true positives, predicted, labelled
    for item in items:
        predicted = predict(item)
        for name in FIELDS:
            got = {n.casefold() for n in predicted[name]}
            want = {n.casefold() for n in item[name]}
            counts[name][0] += len(got & want)
            counts[name][1] += len(got)
            counts[name][2] += len(want)
            if show and got != want:
                print(f"{item['id']} {name}: missed {sorted(want - got)} "
                      f"wrong {sorted(got - want)}")
    report = {}
    for name, (hits, predicted, labelled) in counts.items():
        precision = hits / predicted if predicted else 1.0
        recall = hits / labelled if labelled else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[name] = {"precision": precision, "recall": recall, "f1": f1,
                        "labelled": labelled}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--show", action="store_true", help="print each item's errors")
    args = parser.parse_args()
    for name in (SETS if args.set == "all" else [args.set]):
        path = DATA / f"entities-{name}.jsonl"
        if not path.exists():
            print(f"{name}: no {path}")
            continue
        items = load(name)
        report = score(items, args.show)
        print(f"\n{name} set: {len(items)} items")
        print(f"{'field':<15}{'precision':>10}{'recall':>8}{'F1':>7}{'labels':>8}")
        for field, row in report.items():
            print(f"{field:<15}{row['precision']:>10.3f}{row['recall']:>8.3f}"
                  f"{row['f1']:>7.3f}{row['labelled']:>8}")


if __name__ == "__main__":
    main()
