"""Choose the fusion of dense and BM25 scores by cross-validation over evaluation runs.

Each run is one setting (`CARREFOUR_KEYWORD_WEIGHT`, the dense weight left at 1) evaluated with `carrefour eval
--configs hybrid` on one or more question sets; this script reads their `results.json`, prints MRR@10 and hit@5
per setting and set, and the figures held out by a k-fold cross-validation that picks the setting on the other
folds (questions shuffled with a fixed seed, so the folds are the same from run to run):

    python -m evals.fusion --run rrf=rapport-corpus-rrf,rapport-partage-rrf \\
        --run 0.4=rapport-corpus-0.4,rapport-partage-0.4 [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

Scores = dict[str, tuple[float, float]]  # question key → (reciprocal rank within 10, hit within 5)


def read(directories: Sequence[Path]) -> Scores:
    """The answerable questions with a gold unit, keyed by set and id."""
    out: Scores = {}
    for n, directory in enumerate(directories):
        results = json.loads((directory / "results.json").read_text(encoding="utf-8"))
        for q in results["questions"]:
            if not q["answerable"] or not q["gold"]:
                continue
            rank = q["results"]["hybrid"]["first_relevant_rank"]
            out[f"{n}:{q['id']}"] = (1 / rank if rank and rank <= 10 else 0.0, 1.0 if rank and rank <= 5 else 0.0)
    return out


def mean(scores: Scores, keys: Sequence[str], metric: int) -> float:
    return sum(scores[k][metric] for k in keys) / len(keys) if keys else 0.0


def cross_validate(runs: Mapping[str, Scores], folds: int = 5, metric: int = 0, seed: int = 0
                   ) -> tuple[list[str], float, float]:
    """The setting chosen on each fold's complement, and the held-out MRR and hit@5 of those choices."""
    keys = sorted(set.intersection(*(set(s) for s in runs.values())))
    random.Random(seed).shuffle(keys)
    parts = [keys[i::folds] for i in range(folds)]
    chosen: list[str] = []
    held: list[tuple[float, float]] = []
    for i, part in enumerate(parts):
        train = [k for j, p in enumerate(parts) if j != i for k in p]
        best = max(runs, key=lambda name: (mean(runs[name], train, metric), name))
        chosen.append(best)
        held += [runs[best][k] for k in part]
    return chosen, sum(h[0] for h in held) / len(held), sum(h[1] for h in held) / len(held)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, metavar="NOM=DOSSIER[,DOSSIER…]",
                        help="un réglage et ses rapports d'évaluation (un par jeu de questions, dans le même ordre)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    runs: dict[str, Scores] = {}
    for item in args.run:
        name, _, paths = item.partition("=")
        runs[name] = read([Path(p) for p in paths.split(",")])
    keys = sorted(set.intersection(*(set(s) for s in runs.values())))
    print(f"{len(keys)} questions")
    print("| réglage | MRR@10 | hit@5 |\n| --- | ---: | ---: |")
    for name, scores in runs.items():
        print(f"| {name} | {mean(scores, keys, 0):.3f} | {mean(scores, keys, 1):.3f} |")
    for metric, label in ((0, "MRR@10"), (1, "hit@5")):
        chosen, mrr, hit = cross_validate(runs, args.folds, metric)
        print(f"validation croisée ({args.folds} plis, choix sur {label}) : {', '.join(chosen)} → "
              f"MRR@10 {mrr:.3f}, hit@5 {hit:.3f} sur les plis tenus à part")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
