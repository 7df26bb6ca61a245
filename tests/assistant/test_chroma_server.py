"""The same code talks to a real Chroma server (`chroma run` on loopback) when CARREFOUR_CHROMA_URL is set."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.embedders.hashing import HashEmbedder
from assistant.settings import Settings
from assistant.stores import make_store
from ingest.pipeline import Ingestor
from tests.conftest import free_port


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, "chroma run exited"
                assert time.monotonic() < deadline, "chroma run did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_ingest_and_query_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Conseils citoyens\n\nTirage au sort des habitants.\n", encoding="utf-8")
    (corpus / "b.md").write_text("# EPCI\n\nLa communauté de communes exerce des compétences.\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", embedder="hash", chroma_url=chroma_url)
    store = make_store(settings, "hash-256")
    assert store.location == chroma_url
    report = Ingestor(settings, HashEmbedder(), store, quiet=True).run([corpus])
    assert (report.added, report.chunks) == (2, 2)
    (corpus / "b.md").unlink()
    report = Ingestor(settings, HashEmbedder(), store, quiet=True).run([corpus])
    assert (report.removed, report.chunks) == (1, 1)
    hits = store.query(HashEmbedder().embed_query("tirage au sort"), 5)
    assert [h.chunk.source for h in hits] == ["a.md"]
    assert not (settings.data_dir / "chroma").exists()  # nothing written to the embedded store
