"""`valid_as_of` (« état du droit au ») goes from front matter, `.meta.toml` and `.carrefour.toml` to every
passage, through both stores, into the `--json` hits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.embedders.hashing import HashEmbedder
from assistant.service import hit_json
from assistant.settings import Settings
from assistant.stores import Store, make_store
from assistant.types import Document, Hit
from ingest.pipeline import Ingestor
from ingest.split import split_document


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_split_normalises_valid_as_of_like_date() -> None:
    doc = Document(source="x.md", text="Texte.", title="Fiche",
                   metadata={"kind": "fiche", "date": "2026-12-02", "valid_as_of": "mai 2015"})
    (chunk,) = split_document(doc, "/r", 1000, 0)
    assert (chunk.date, chunk.valid_as_of) == ("2026-12-02", "2015-05")
    assert "valid_as_of" not in chunk.metadata
    (plain,) = split_document(Document(source="y.md", text="Texte.", title="Note"), "/r", 1000, 0)
    assert plain.valid_as_of is None


@pytest.mark.parametrize("backend", ["memory", "chroma"])
def test_every_way_of_setting_it_reaches_the_store(tmp_path: Path, backend: str) -> None:
    root = tmp_path / "corpus"
    write(root / "fiches" / "f.md", "---\ntitle: Fiche\nkind: fiche\nvalid_as_of: 2025-12\n---\n# F\n\nTexte de fiche.\n")
    write(root / "rapports" / "r.txt", "Rapport d'évaluation du contrat de ville.\n")
    write(root / "rapports" / "r.txt.meta.toml", 'title = "Rapport"\nvalid_as_of = "2019-06-30"\n')
    write(root / "textes" / ".carrefour.toml", 'kind = "texte officiel"\nvalid_as_of = "2015-05"\n')
    write(root / "textes" / "cgct.jsonl", json.dumps({"id": "cgct:L1", "article": "Article L1", "text": "Article."}) + "\n")
    write(root / "textes" / "sans-date" / ".carrefour.toml", 'valid_as_of = "pas une date"\n')
    write(root / "textes" / "sans-date" / "a.md", "# A\n\nTexte.\n")
    settings = Settings(data_dir=tmp_path / "data", embedder="hash")
    store: Store = make_store(settings, "hash-256", backend=backend)
    report = Ingestor(settings, HashEmbedder(), store, quiet=True).run([root])
    assert not report.failed
    got = {c.source: c.valid_as_of for c in store.chunks()}
    assert got == {"fiches/f.md": "2025-12", "rapports/r.txt": "2019-06-30", "textes/cgct.jsonl": "2015-05",
                   "textes/sans-date/a.md": None}
    chunk = next(c for c in store.chunks() if c.source == "textes/cgct.jsonl")
    assert hit_json(Hit(chunk, 1.0, 1))["valid_as_of"] == "2015-05"
