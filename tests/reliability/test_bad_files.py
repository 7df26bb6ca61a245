"""Issue 12, high 2 and mediums 4-6: one bad file, link, pipe or folder never stops the ingestion; every exit of
`carrefour ingest --json` prints its JSON line."""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.stores.memory import MemoryStore
from ingest import limits
from ingest.pipeline import Ingestor
from tests.reliability.conftest import CARREFOUR, carrefour, ingest_json

GOOD = "# Conseil citoyen\n\nLe conseil citoyen réunit des habitants tirés au sort du quartier prioritaire.\n"


def empty_paragraphs_docx(path: Path, n: int) -> None:
    """A Word file of a few tens of KB whose body holds `n` empty paragraphs."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * n, 1)
            dst.writestr(item, data)


def by_name(items: list[dict[str, str]], key: str) -> dict[str, str]:
    return {Path(i["path"]).name: i[key] for i in items}


def test_bad_files_fail_alone_and_the_rest_is_indexed(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "ailleurs"
    corpus.mkdir(), outside.mkdir()
    (corpus / "bon.md").write_text(GOOD, encoding="utf-8")
    (outside / "secret.txt").write_text("root:x:0:0:motdepasse-hors-corpus\n", encoding="utf-8")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")  # medium 4: never indexed
    (corpus / "dedans.md").symlink_to(corpus / "bon.md")  # a link inside the folder is fine
    (corpus / "casse.md").symlink_to(corpus / "absent.md")  # high 2: a link to a missing file
    os.mkfifo(corpus / "tube.txt")  # medium 4: opening it would wait forever
    depth = 600  # high 2: nested HTML, alone or inside Markdown, used to overflow the stack
    (corpus / "profond.html").write_text("<div>" * depth + "texte très profond" + "</div>" * depth, encoding="utf-8")
    (corpus / "profond.md").write_text("# Titre\n\n" + "<p>" * depth + "paragraphe enfoui" + "</p>" * depth,
                                       encoding="utf-8")
    deep_line = '{"text": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (corpus / "profond.jsonl").write_text(deep_line + '\n{"text": "un enregistrement sain"}\n', encoding="utf-8")
    empty_paragraphs_docx(corpus / "vide.docx", 5_000_000)  # medium 6: took > 12 minutes and 790 MB
    assert (corpus / "vide.docx").stat().st_size < 100_000
    started = time.monotonic()
    code, report = ingest_json(corpus, data=tmp_path / "data")
    assert time.monotonic() - started < 60
    failed, warnings = by_name(report["failed"], "error"), by_name(report["warnings"], "warning")  # type: ignore[arg-type]
    assert code == 1 and set(failed) == {"vide.docx"}
    assert "paragraphes" in failed["vide.docx"] and "découpez" in failed["vide.docx"]
    assert "hors du dossier" in warnings["secret.txt"]
    assert "cassé" in warnings["casse.md"]
    assert "tube nommé" in warnings["tube.txt"]
    assert "imbriqué" in warnings["profond.jsonl"]
    assert report["added"] == 5  # bon, dedans, profond.html, profond.md, profond.jsonl
    found = json.loads(carrefour("search", "motdepasse", "--json", data=tmp_path / "data").stdout)
    assert found["hits"] and not any("motdepasse" in h["text"] for h in found["hits"])
    for word, source in (("enfoui", "profond.md"), ("profond", "profond.html"), ("sain", "profond.jsonl")):
        hits = json.loads(carrefour("search", word, "--retrieval", "bm25", "--json", data=tmp_path / "data").stdout)
        assert source in {h["source"] for h in hits["hits"]}, word


def test_any_error_of_one_file_is_a_french_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest import loaders
    from ingest.pipeline import file_error

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.md", "b.md", "c.md", "d.md"):
        (corpus / name).write_text(GOOD.replace("quartier", name), encoding="utf-8")
    real = loaders.load
    errors = {"a.md": MemoryError(), "b.md": RecursionError(), "c.md": ValueError("parseur perdu")}

    def load(path: Path, source: str, **kwargs: object) -> loaders.Loaded:
        if source in errors:
            raise errors[source]
        return real(path, source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loaders, "load", load)  # a parser crash cannot be made on demand from a file
    settings = Settings(data_dir=tmp_path / "data", embedder="hash", chunk_size=400, chunk_overlap=60, ocr=False)
    from assistant.embedders.hashing import HashEmbedder

    report = Ingestor(settings, HashEmbedder(), MemoryStore(), quiet=True).run([corpus])
    assert report.added == 1 and set(by_name(report.failed, "error")) == {"a.md", "b.md", "c.md"}
    assert "mémoire" in by_name(report.failed, "error")["a.md"]
    assert "ValueError" in by_name(report.failed, "error")["c.md"]
    assert "illisible" in file_error(PermissionError(13, "Permission non accordée"))


def test_time_bound_of_one_file() -> None:
    with limits.budget("lent.md", seconds=0.0):
        time.sleep(0.01)
        with pytest.raises(Exception, match="trop longue"):
            limits.check()
    limits.check()  # outside a budget: no clock


def test_json_on_a_lock_conflict_and_on_a_crash(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir(), data.mkdir()
    (corpus / "bon.md").write_text(GOOD, encoding="utf-8")
    with (data / "ingest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = carrefour("ingest", corpus, "--json", data=data)
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert "déjà en cours" in report["error"] and report["failed"][0]["error"] == report["error"]
    crashed = carrefour("ingest", corpus, "--json", data=data, env={"CARREFOUR_CHUNK_SIZE": "10"})
    assert crashed.returncode != 0 and len(crashed.stdout.strip().splitlines()) == 1
    assert json.loads(crashed.stdout)["error"]


def as_user(argv: list[str]) -> list[str]:
    """Root reads everything whatever the permissions: drop the two capabilities that allow it."""
    if os.geteuid() != 0:
        return argv
    if not shutil.which("setpriv"):
        pytest.skip("root sans setpriv : impossible de rendre un fichier illisible")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]


def test_unreadable_folder_and_file_keep_their_documents(tmp_path: Path) -> None:
    import subprocess

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    (corpus / "archives").mkdir(parents=True)
    (corpus / "bon.md").write_text(GOOD, encoding="utf-8")
    (corpus / "ferme.md").write_text(GOOD.replace("conseil", "comité"), encoding="utf-8")
    (corpus / "archives" / "vieux.md").write_text("# Archive\n\nUn texte ancien sur les zones urbaines.\n",
                                                  encoding="utf-8")
    env = {**os.environ, "CARREFOUR_EMBEDDER": "hash", "CARREFOUR_OCR": "false"}

    def ingest() -> tuple[int, dict[str, object]]:
        argv = as_user([CARREFOUR, "ingest", str(corpus), "--json", "--data-dir", str(data)])
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
        return done.returncode, json.loads(done.stdout)

    code, first = ingest()
    assert code == 0 and first["documents"] == 3, first
    (corpus / "archives").chmod(0o000)  # medium 5: its document used to vanish from the index, exit 0
    (corpus / "ferme.md").write_text(GOOD + "Modifié puis fermé.\n", encoding="utf-8")  # read again…
    (corpus / "ferme.md").chmod(0o000)  # … but it cannot be: high 2, it used to abort the whole run
    try:
        code, second = ingest()
    finally:
        (corpus / "archives").chmod(0o755)
    assert code == 1 and second["documents"] == 3 and second["removed"] == 0, second
    assert "illisible" in by_name(second["warnings"], "warning")["archives"]  # type: ignore[arg-type]
    assert "illisible" in by_name(second["failed"], "error")["ferme.md"]  # type: ignore[arg-type]


def test_a_pdf_of_too_many_pages_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfWriter

    from assistant.errors import LoadError
    from ingest import loaders

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(200, 200)
    with (tmp_path / "long.pdf").open("wb") as f:
        writer.write(f)
    monkeypatch.setattr(limits, "MAX_PAGES", 2)  # 5,000 in real life: a file of 3 pages stands for it
    with pytest.raises(LoadError, match="3 pages"):
        loaders.load(tmp_path / "long.pdf", "long.pdf")
