"""Shared fixtures: every data directory points at tmp_path; fakes are passed in, not patched."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from assistant.embedders.hashing import HashEmbedder
from assistant.settings import Settings
from assistant.stores.memory import MemoryStore

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CARREFOUR_SHARED_DIR", REPO.parent / "shared"))
SHARED_CORPUS = SHARED / "corpus"
needs_corpus = pytest.mark.skipif(
    not SHARED_CORPUS.is_dir(), reason=f"corpus partagé absent ({SHARED_CORPUS}) : ../shared n'est pas à côté du dépôt"
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("CARREFOUR_DATA_DIR", str(data))
    monkeypatch.delenv("CARREFOUR_CHROMA_URL", raising=False)
    return data


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedder="hash", chunk_size=400, chunk_overlap=60)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()
