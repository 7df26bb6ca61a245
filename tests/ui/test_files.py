"""Serving originals: a file under an ingested root is served, nothing else is; PDFs open at the cited page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from assistant.service import Assistant
from assistant.settings import Settings
from ingest.pipeline import Ingestor
from ui.files import ROUTE, DocumentError, DocumentFiles, root_key


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF, one line of ASCII text per page."""
    n = len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(n))}] /Count {n} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R "
                       f">> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    return out + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()


@pytest.fixture
def files(ui_assistant: Assistant, ui_settings: Settings) -> DocumentFiles:
    return DocumentFiles(ui_settings, lambda cid: next(iter(ui_assistant.store.get([cid])), None))


@pytest.fixture
def client(files: DocumentFiles) -> TestClient:
    return TestClient(Starlette(routes=[Route(ROUTE, files.response)]))


def key(settings: Settings) -> str:
    return root_key(str(settings.corpus_dir.resolve()))


def test_markdown_is_an_escaped_page_with_the_passage_marked(ui_assistant: Assistant, ui_settings: Settings,
                                                             client: TestClient, files: DocumentFiles) -> None:
    chunk = next(c for c in ui_assistant.store.chunks() if c.source == "fiches/conseils-citoyens.md"
                 and "tirés au sort" in c.text)
    url = files.url(chunk)
    assert url.startswith("document?") and url.endswith("#passage")
    response = client.get("/" + url.split("#")[0])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script
    assert '<mark id="passage">' in response.text and "tirés au sort" in response.text
    evil = next(c for c in ui_assistant.store.chunks() if c.source == "notes/piege.md")
    page = client.get("/" + files.url(evil).split("#")[0]).text
    assert "<script>" not in page and "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("rel", [
    "../data/manifest.sqlite", "fiches/../../data/manifest.sqlite", "/etc/passwd", "fiches/../fiches/x/../../..",
    "fiches\\..\\..\\secret.md", "", ".carrefourignore", "notes/.cache.md", "C:/Windows/win.ini", "fiches//x.md",
    "fiches/conseils-citoyens.md\x00.pdf", "fiches/conseils-citoyens.md.meta.toml",
])
def test_traversal_and_odd_paths_are_refused(rel: str, ui_settings: Settings, files: DocumentFiles) -> None:
    with pytest.raises(DocumentError) as err:
        files.resolve(key(ui_settings), rel)
    assert err.value.status == 403


def test_only_files_known_to_the_manifest(ui_settings: Settings, files: DocumentFiles, client: TestClient,
                                          tmp_path: Path) -> None:
    corpus = ui_settings.corpus_dir
    assert files.resolve(key(ui_settings), "fiches/conseils-citoyens.md").path.is_file()
    (corpus / "fiches" / "pas-indexe.md").write_text("# Nouveau\n\nPas encore indexé.\n", encoding="utf-8")
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n\nHors du corpus.\n", encoding="utf-8")
    os.symlink(outside, corpus / "fiches" / "lien.md")
    for rel in ("fiches/pas-indexe.md", "fiches/lien.md"):
        with pytest.raises(DocumentError):
            files.resolve(key(ui_settings), rel)
    with pytest.raises(DocumentError) as err:
        files.resolve("0123456789abcdef", "fiches/conseils-citoyens.md")
    assert err.value.status == 404
    response = client.get(ROUTE, params={"root": key(ui_settings), "path": "../secret.md"})
    assert response.status_code == 403 and "Accès refusé" in response.text and "Secret" not in response.text
    response = client.get(ROUTE, params={"root": "inconnu", "path": "fiches/conseils-citoyens.md"})
    assert response.status_code == 404 and "introuvable" in response.text
    (corpus / "fiches" / "conseils-citoyens.md").unlink()
    response = client.get(ROUTE, params={"root": key(ui_settings), "path": "fiches/conseils-citoyens.md"})
    assert response.status_code == 404


def test_pdf_is_served_as_is_and_linked_at_its_page(ui_assistant: Assistant, ui_settings: Settings,
                                                     files: DocumentFiles, client: TestClient) -> None:
    pdf = ui_settings.corpus_dir / "rapports" / "rapport.pdf"
    pdf.parent.mkdir()
    filler = " Les quartiers prioritaires font l'objet d'un suivi annuel par l'observatoire national." * 5
    pdf.write_bytes(make_pdf(["Premiere page du rapport sur les quartiers." + filler,
                              "Seconde page : le budget des conseils citoyens." + filler]))
    report = Ingestor(ui_settings, ui_assistant.embedder, ui_assistant.store, quiet=True).run([ui_settings.corpus_dir])
    assert report.added == 1 and not report.failed
    second = next(c for c in ui_assistant.store.chunks() if c.source == "rapports/rapport.pdf" and c.page == 2)
    url = files.url(second)
    assert url.endswith("#page=2")
    response = client.get("/" + url.split("#")[0])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content == pdf.read_bytes()
    assert response.headers["content-disposition"].startswith("inline")


def test_jsonl_shows_only_the_cited_record(ui_assistant: Assistant, ui_settings: Settings,
                                           files: DocumentFiles, client: TestClient) -> None:
    import json

    records = [{"id": f"cgct:Article L{n}", "article": f"Article L{n}", "text": text} for n, text in
               ((1, "Premier article sur les communes."), (2, "Second article sur les <b>EPCI</b> à fiscalité propre."))]
    path = ui_settings.corpus_dir / "textes" / "cgct.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    Ingestor(ui_settings, ui_assistant.embedder, ui_assistant.store, quiet=True).run([ui_settings.corpus_dir])
    second = next(c for c in ui_assistant.store.chunks() if c.record_id == "cgct:Article L2")
    page = client.get("/" + files.url(second).split("#")[0]).text
    assert "<title>Article L2</title>" in page and "Premier article" not in page
    assert '<mark id="passage">Second article sur les EPCI à fiscalité propre.</mark>' in page
    whole = client.get(ROUTE, params={"root": key(ui_settings), "path": "textes/cgct.jsonl"}).text
    assert "Premier article" in whole and "Second article" in whole and "<mark" not in whole
