"""Abstention thresholds, calibrated on `carrefour eval` results of several corpora at once.

    python -m evals.calibrate rapport-corpus/results.json rapport-partage/results.json [--config hybrid]

Each run stores, per question, the evidence and the strength of the best block (what `Assistant.ask_stream`
compares to `abstain_threshold` and `abstain_block_coverage`); this replays the decision for a grid of both
and prints, per results file, the abstention accuracy on unanswerable questions and the false refusal rate on
answerable ones, best pairs first (the worst corpus decides: a pair must hold on each).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.service import RAISED_FLOOR


def decisions(rows: Sequence[dict[str, Any]], config: str, threshold: float, floor: float) -> tuple[float, float]:
    """(abstention accuracy, false refusal rate) if the run had used these two thresholds."""
    refused: list[bool] = []
    answered: list[bool] = []
    for q in rows:
        r = q["results"].get(config)
        if r is None or "strength" not in r:
            continue
        needed = RAISED_FLOOR if r.get("raised") else floor
        abstain = (r["evidence"] < threshold or r["strength"] < needed or (r["abstained"] and r["strength"] == 0)
                   or r.get("missing") == "amount" or (r["abstained"] and bool(r.get("unnamed"))))
        (answered if q["answerable"] else refused).append(abstain)
    accuracy = sum(refused) / len(refused) if refused else 1.0
    false = sum(answered) / len(answered) if answered else 0.0
    return accuracy, false


def grid(runs: dict[str, list[dict[str, Any]]], config: str) -> list[tuple[float, float, list[tuple[float, float]]]]:
    out = []
    for t in [round(0.30 + 0.02 * i, 2) for i in range(26)]:
        for f in [round(0.05 * i, 2) for i in range(13)]:
            out.append((t, f, [decisions(rows, config, t, f) for rows in runs.values()]))
    # worst corpus first: the fewest mistakes (refusals missed + false refusals) on the worst corpus
    return sorted(out, key=lambda x: (max((1 - a) + r for a, r in x[2]), sum((1 - a) + r for a, r in x[2])))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--config", default="hybrid")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    runs = {str(p): json.loads(p.read_text(encoding="utf-8"))["questions"] for p in args.results}
    names = " | ".join(f"{Path(n).parent.name}: abstention / refus à tort" for n in runs)
    print(f"| seuil | bloc | {names} |")
    print("| ---: | ---: |" + " --- |" * len(runs))
    for t, f, scores in grid(runs, args.config)[: args.top]:
        cells = " | ".join(f"{a:.3f} / {r:.3f}" for a, r in scores)
        print(f"| {t:.2f} | {f:.2f} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
