"""Incremental ingestion: adds, updates, removals, ignore rules, metadata, bad input, CLI contract."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.embedders.hashing import HashEmbedder
from assistant.settings import Settings
from assistant.stores import Store, make_store
from ingest.manifest import Manifest
from ingest.pipeline import Ingestor
from ui.cli import main


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return super().embed_documents(texts)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "fiches" / "conseils.md", "---\ntitle: Conseils citoyens\nkind: fiche\n---\n# Conseils\n\n"
          "## Composition\n\nHabitants tirés au sort et acteurs locaux.\n\n## Missions\n\nCo-construction.\n")
    write(root / "notes.txt", "Notes de la journée\n\nLe CGET accompagne les intercommunalités.\n")
    write(root / "textes" / "cgct.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "cgct:L1", "article": "Article L1", "hierarchy": ["Partie", "Livre"], "text": "Premier article."},
        {"id": "cgct:L2", "article": "Article L2", "text": "Second article sur les EPCI."},
    ]) + "\n")
    return root


def run(settings: Settings, store: Store, paths: list[Path], embedder: HashEmbedder | None = None, **kw):  # type: ignore[no-untyped-def]
    return Ingestor(settings, embedder or HashEmbedder(), store, quiet=True).run(paths, **kw)


def sources(store: Store) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in store.chunks():
        out[c.source] = out.get(c.source, 0) + 1
    return out


def test_first_run_then_rerun_is_a_no_op(settings: Settings, memory_store: Store, corpus: Path) -> None:
    first = run(settings, memory_store, [corpus])
    assert (first.added, first.updated, first.unchanged, first.removed, first.failed) == (3, 0, 0, 0, [])
    assert first.documents == 4  # one Markdown, one text, two JSONL records
    assert first.chunks == memory_store.count() > 0
    assert set(sources(memory_store)) == {"fiches/conseils.md", "notes.txt", "textes/cgct.jsonl"}
    counting = CountingEmbedder()
    again = run(settings, memory_store, [corpus], counting)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert counting.embedded == []
    assert again.chunks == first.chunks


def test_changed_file_is_replaced_and_others_untouched(settings: Settings, memory_store: Store, corpus: Path) -> None:
    run(settings, memory_store, [corpus])
    before = {c.id: c for c in memory_store.chunks()}
    write(corpus / "notes.txt", "Notes de la journée\n\nLa loi Lamy crée les conseils citoyens.\n")
    counting = CountingEmbedder()
    report = run(settings, memory_store, [corpus], counting)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    texts = [c.text for c in memory_store.chunks() if c.source == "notes.txt"]
    assert any("loi Lamy" in t for t in texts) and not any("CGET" in t for t in texts)
    kept = {i for i, c in before.items() if c.source != "notes.txt"}
    assert kept <= memory_store.ids()
    assert all("notes" in t.lower() or "lamy" in t.lower() for t in counting.embedded)


def test_touched_file_is_not_reparsed(settings: Settings, memory_store: Store, corpus: Path) -> None:
    run(settings, memory_store, [corpus])
    os.utime(corpus / "notes.txt", ns=(1, 1))
    report = run(settings, memory_store, [corpus])
    assert (report.updated, report.unchanged) == (0, 3)
    rec = Manifest(settings.manifest_path).files()[(str(corpus.resolve()), "notes.txt")]
    assert rec.mtime_ns == 1


def test_removed_file_leaves_only_its_root(settings: Settings, memory_store: Store, corpus: Path,
                                           tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(other / "a.md", "# A\n\nTexte du dossier B.\n")
    run(settings, memory_store, [corpus])
    run(settings, memory_store, [other])
    (corpus / "notes.txt").unlink()
    report = run(settings, memory_store, [other])  # ingesting B never touches A
    assert report.removed == 0 and "notes.txt" in sources(memory_store)
    report = run(settings, memory_store, [corpus])
    assert report.removed == 1 and "notes.txt" not in sources(memory_store)
    assert "a.md" in sources(memory_store)


def test_ignore_rules_and_hidden_files(settings: Settings, memory_store: Store, corpus: Path) -> None:
    write(corpus / ".carrefourignore", "brouillons/\n*.tmp.md\n")
    write(corpus / "brouillons" / "x.md", "# X\n\nbrouillon\n")
    write(corpus / "y.tmp.md", "# Y\n\ntemporaire\n")
    write(corpus / ".cache" / "z.md", "# Z\n\ncaché\n")
    write(corpus / ".cachee.md", "# Z\n\ncaché\n")
    report = run(settings, memory_store, [corpus], excludes=["textes/*.jsonl"])
    assert report.added == 2
    assert set(sources(memory_store)) == {"fiches/conseils.md", "notes.txt"}


def test_folder_and_sidecar_metadata(settings: Settings, memory_store: Store, corpus: Path) -> None:
    write(corpus / ".carrefour.toml", 'kind = "actes"\ndate = "2017-12-11"\nevenement = "journée"\n')
    write(corpus / "fiches" / ".carrefour.toml", 'date = "2026"\n')
    write(corpus / "notes.txt.meta.toml", 'title = "Notes"\nkind = "compte rendu"\n')
    run(settings, memory_store, [corpus])
    by_source = {c.source: c for c in memory_store.chunks()}
    assert (by_source["notes.txt"].kind, by_source["notes.txt"].date) == ("compte rendu", "2017-12-11")
    # front matter (kind: fiche) beats the folder file; the nearer folder file gives the date
    assert (by_source["fiches/conseils.md"].kind, by_source["fiches/conseils.md"].date) == ("fiche", "2026")
    assert by_source["notes.txt"].metadata["evenement"] == "journée"
    write(corpus / "notes.txt.meta.toml", 'kind = "note"\n')
    report = run(settings, memory_store, [corpus])
    assert report.updated == 1
    assert {c.kind for c in memory_store.chunks() if c.source == "notes.txt"} == {"note"}


def test_bad_files_fail_alone_and_keep_what_was_stored(settings: Settings, memory_store: Store,
                                                       corpus: Path) -> None:
    run(settings, memory_store, [corpus])
    stored = memory_store.ids()
    write(corpus / "image.xyz", "???")
    write(corpus / "vide.txt", "   \n")
    (corpus / "notes.txt").write_bytes(b"\x00\x01\x02binaire")
    write(corpus / "nouveau.md", "# Nouveau\n\nUn texte neuf.\n")
    report = run(settings, memory_store, [corpus])
    failed = {Path(f["path"]).name: f["error"] for f in report.failed}
    assert set(failed) == {"image.xyz", "vide.txt", "notes.txt"}
    assert "format non pris en charge" in failed["image.xyz"]
    assert "vide" in failed["vide.txt"]
    assert report.added == 1
    assert stored <= memory_store.ids()  # the broken notes.txt keeps its previous chunks


def test_dry_run_writes_nothing(settings: Settings, memory_store: Store, corpus: Path) -> None:
    report = run(settings, memory_store, [corpus], dry_run=True)
    assert report.added == 3 and memory_store.count() == 0


def test_cli_json_contract_and_exit_status(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CARREFOUR_EMBEDDER", "hash")
    data = tmp_path / "cli-data"
    assert main(["ingest", str(corpus), "--data-dir", str(data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["added", "updated", "unchanged", "removed", "failed", "warnings", "documents", "chunks",
                         "seconds"]
    assert (out["added"], out["documents"]) == (3, 4)
    assert isinstance(out["seconds"], float)
    write(corpus / "casse.pdf", "pas un pdf")
    assert main(["ingest", str(corpus), "--data-dir", str(data), "--json"]) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["unchanged"] == 3 and out["failed"][0]["path"].endswith("casse.pdf")
    assert "casse.pdf" in captured.err
    assert main(["status", "--data-dir", str(data), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["documents"] == 4 and status["chunks"] == out["chunks"]
    assert status["embedder"] == "hash-256"


def test_chroma_backend_incremental(settings: Settings, corpus: Path) -> None:
    store = make_store(settings, "hash-256")
    first = run(settings, store, [corpus])
    (corpus / "notes.txt").unlink()
    second = run(settings, store, [corpus])
    assert second.removed == 1 and second.chunks < first.chunks
    assert "notes.txt" not in sources(store)


def test_status_of_a_new_data_dir_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "jamais"
    assert main(["status", "--data-dir", str(data), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["documents"], status["chunks"], status["roots"]) == (0, 0, {})
    assert not data.exists()


class CrashBeforeKeywords(Ingestor):
    def refresh_keyword_index(self) -> None:
        raise RuntimeError("arrêt brutal")


def test_keyword_index_is_rebuilt_after_a_crash_that_preceded_it(settings: Settings, memory_store: Store,
                                                                  corpus: Path) -> None:
    from assistant.keyword import KeywordIndex

    run(settings, memory_store, [corpus])
    (corpus / "nouveau.md").write_text("# Nouveau\n\nUn texte ajouté juste avant la panne.\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        CrashBeforeKeywords(settings, HashEmbedder(), memory_store, quiet=True).run([corpus])
    ingestor = Ingestor(settings, HashEmbedder(), memory_store, quiet=True)
    report = ingestor.run([corpus])  # nothing changed on disk since the crash
    assert report.added == 0 and report.unchanged == 4
    assert set(KeywordIndex.load(ingestor.keyword_dir()).ids) == memory_store.ids()


def test_a_new_embedding_model_reembeds_every_file_and_says_so(settings: Settings, corpus: Path) -> None:
    old_store = make_store(settings, "hash-256", backend="memory")
    first = run(settings, old_store, [corpus])
    new = CountingEmbedder()
    new.id = "autre-modele"  # the same manifest, another model: its collection starts empty
    new_store = make_store(settings, new.id, backend="memory")
    report = run(settings, new_store, [corpus], embedder=new)
    assert report.updated == first.added and report.unchanged == 0
    assert new_store.count() == old_store.count() and new.embedded
    assert any("modèle d'embeddings a changé (hash-256 → autre-modele)" in w["warning"] for w in report.warnings)
    again = run(settings, new_store, [corpus], embedder=new)
    assert again.unchanged == first.added and not again.warnings


def test_an_index_older_than_the_model_record_is_reembedded_only_if_empty(settings: Settings, corpus: Path) -> None:
    store = make_store(settings, "hash-256", backend="memory")
    run(settings, store, [corpus])
    def forget_model() -> None:  # as written before runs recorded their model
        with Manifest(settings.manifest_path).db as db:
            db.execute("UPDATE runs SET report = json_remove(report, '$.embedder')")

    forget_model()
    assert run(settings, store, [corpus]).updated == 0  # its passages are there: the same model
    forget_model()
    other = make_store(settings, "hash-64", backend="memory")
    report = run(settings, other, [corpus], embedder=HashEmbedder(dim=64))
    assert report.updated > 0 and "un autre modèle → hash-64" in report.warnings[0]["warning"]
