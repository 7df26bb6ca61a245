"""Keyword search on PIAF Service-Public at document level: one row per analysis variant, plus rebuild timings.

    python -m evals.bench_keyword_piaf [--squad FILE] [--timing]

Each of the 532 fiches is one chunk (no splitting); the 105 questions are asked as written, and again folded
(no accents, as often typed) for the last column. Published reference: stemmed BM25 nDCG@10 0.89.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.keyword import KeywordIndex
from assistant.textfr import Analyzer, fold
from assistant.types import Chunk
from evals.metrics import hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k
from evals.piaf import DEFAULT_PATH, PiafDoc, load_piaf

VARIANTS: list[tuple[str, Analyzer, bool]] = [
    ("sans racinisation", Analyzer(stem=False), True),
    ("racinisation, accents gardés", Analyzer(fold="none"), True),
    ("racinisation puis pliage", Analyzer(fold="after"), True),
    ("pliage puis racinisation", Analyzer(fold="before", reaccent=False), True),
    ("pliage, -ité/-ée, racinisation (défaut)", Analyzer(), True),
    ("défaut sans glossaire", Analyzer(), False),
    ("défaut sans mots vides", Analyzer(stop_words=False), True),
]


def fiche_chunks(docs: Sequence[PiafDoc]) -> list[Chunk]:
    return [Chunk(id=d.file_name, text=d.text, source=d.file_name, root="piaf", title=d.title) for d in docs]


def evaluate(
    index: KeywordIndex, questions: Sequence[dict[str, Any]], expand: bool, rewrite: Callable[[str], str] = str
) -> dict[str, float]:
    rows: dict[str, list[float]] = {"ndcg@10": [], "recall@5": [], "mrr@10": [], "hit@1": []}
    for q in questions:
        ranked = [chunk_id for chunk_id, _ in index.search(rewrite(q["question"]), k=10, expand=expand)]
        gold = {g["source"] for g in q["gold"]}
        rows["ndcg@10"].append(ndcg_at_k(ranked, gold, 10))
        rows["recall@5"].append(recall_at_k(ranked, gold, 5))
        rows["mrr@10"].append(mrr_at_k(ranked, gold, 10))
        rows["hit@1"].append(hit_at_k(ranked, gold, 1))
    return {name: statistics.fmean(values) for name, values in rows.items()}


def quality(docs: Sequence[PiafDoc], questions: Sequence[dict[str, Any]]) -> None:
    chunks = fiche_chunks(docs)
    print(f"PIAF Service-Public : {len(docs)} fiches, {len(questions)} questions, niveau document\n")
    header = f"{'variante':<42} {'nDCG@10':>8} {'rappel@5':>9} {'MRR@10':>7} {'hit@1':>6} {'nDCG sans accents':>18}"
    print(header)
    print("-" * len(header))
    for name, analyzer, expand in VARIANTS:
        index = KeywordIndex.build(chunks, analyzer=analyzer)
        m = evaluate(index, questions, expand)
        folded = evaluate(index, questions, expand, rewrite=fold)
        print(
            f"{name:<42} {m['ndcg@10']:>8.3f} {m['recall@5']:>9.3f} {m['mrr@10']:>7.3f} {m['hit@1']:>6.3f} "
            f"{folded['ndcg@10']:>18.3f}"
        )


def timing_chunks(docs: Sequence[PiafDoc], n: int = 12_000, size: int = 1_000) -> list[Chunk]:
    """n passages of ~size characters: the PIAF fiches and, when present, the shared CGCT articles, cut and
    cycled (cycled passages get new ids, so the vocabulary is that of ~7 M distinct characters)."""
    texts = [d.text for d in docs]
    cgct = DEFAULT_PATH.parents[2] / "corpus" / "legi-cgct-2015" / "cgct_partie_legislative.jsonl"
    if cgct.exists():
        texts += [json.loads(line)["text"] for line in cgct.read_text(encoding="utf-8").splitlines() if line]
    pieces = [t[i : i + size] for t in texts for i in range(0, len(t), size) if len(t[i : i + size]) > size // 4]
    return [
        Chunk(id=f"c{i}", text=pieces[i % len(pieces)], source=f"dossier{i % 7}/f{i}.md", root="bench", title="")
        for i in range(n)
    ]


def timings(docs: Sequence[PiafDoc], questions: Sequence[dict[str, Any]]) -> None:
    chunks = timing_chunks(docs)
    chars = sum(len(c.indexed_text) for c in chunks)
    print(f"\nReconstruction : {len(chunks)} passages, {chars / len(chunks):.0f} caractères en moyenne")
    analyzer = Analyzer()  # its word cache starts empty, as in a fresh process, then is full
    for run in ("premier build, cache des mots vide", "second build, cache plein"):
        start = time.perf_counter()
        index = KeywordIndex.build(chunks, analyzer=analyzer)
        print(f"  {run} : {time.perf_counter() - start:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index.save(Path(tmp) / "keyword")
        print(f"  save : {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        loaded = KeywordIndex.load(Path(tmp) / "keyword")
        print(f"  load : {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    for q in questions:
        loaded.search(q["question"], k=10)
    print(f"  search : {(time.perf_counter() - start) / len(questions) * 1000:.1f} ms par question")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_keyword_piaf", description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_PATH, help="fichier SQuAD PIAF")
    parser.add_argument("--timing", action="store_true", help="mesurer aussi la reconstruction sur 12 000 passages")
    args = parser.parse_args(argv)
    docs, questions = load_piaf(args.squad)
    quality(docs, questions)
    if args.timing:
        timings(docs, questions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
