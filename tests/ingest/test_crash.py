"""`kill -9` at any moment, then a rerun, leaves the store exactly as a clean run would."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.keyword import KeywordIndex
from assistant.settings import Settings
from assistant.stores import collection_name, make_store

WORDS = ["quartier", "contrat", "ville", "habitant", "conseil", "citoyen", "intercommunalité", "projet", "rénovation", "emploi"]


def make_corpus(root: Path, n: int) -> None:
    for i in range(n):
        body = "\n\n".join(
            " ".join(WORDS[(i * 7 + j * 3 + k) % len(WORDS)] for k in range(40)) + f" fiche {i} paragraphe {j}."
            for j in range(6)
        )
        (root / f"d{i % 5}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 5}" / f"fiche-{i:03d}.md").write_text(f"# Fiche {i}\n\n{body}\n", encoding="utf-8")


def ingest(corpus: Path, data: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CARREFOUR_EMBEDDER": "hash", "CARREFOUR_EMBED_BATCH_SIZE": "2",
           "CARREFOUR_CHUNK_SIZE": "300", "CARREFOUR_CHUNK_OVERLAP": "50"}
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(corpus), "--data-dir", str(data),
                             "--quiet"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def files_done(data: Path) -> int:
    try:
        with sqlite3.connect(data / "manifest.sqlite", timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_after(proc: subprocess.Popen[bytes], data: Path, done: int) -> None:
    deadline = time.monotonic() + 120
    while files_done(data) < done:
        assert proc.poll() is None, f"ingestion ended before being killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()


def state(data: Path) -> tuple[set[str], dict[str, list[str]]]:
    settings = Settings(data_dir=data, embedder="hash")
    store = make_store(settings, "hash-256")
    with sqlite3.connect(data / "manifest.sqlite") as db:
        manifest = {p: sorted(json.loads(ids)) for p, ids in db.execute("SELECT path, chunk_ids FROM files")}
    ids = [c.id for c in store.chunks()]
    assert len(ids) == len(set(ids)) == store.count()
    keyword = KeywordIndex.load(data / "keyword" / collection_name("hash-256"))
    assert set(keyword.ids) == set(ids)  # the keyword index is in step with the store
    return set(ids), manifest


@pytest.mark.slow
def test_kill_minus_nine_then_rerun_equals_clean_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 60)
    data = tmp_path / "data"
    kill_after(ingest(corpus, data), data, 3)
    kill_after(ingest(corpus, data), data, 25)
    # meanwhile staff remove one ingested file and edit another
    (corpus / "d0" / "fiche-000.md").unlink()
    (corpus / "d1" / "fiche-001.md").write_text("# Fiche 1\n\nTexte entièrement réécrit.\n", encoding="utf-8")
    final = ingest(corpus, data)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err

    clean = ingest(corpus, tmp_path / "clean")
    clean.communicate(timeout=300)
    assert clean.returncode == 0
    ids, manifest = state(data)
    clean_ids, clean_manifest = state(tmp_path / "clean")
    assert manifest == clean_manifest
    assert ids == clean_ids
    assert "d0/fiche-000.md" not in manifest
