"""The chat's `ask` and `feedback` APIs through gradio_client, against a real server started by the test."""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from tests.ui.conftest import GRADIO_LOOPS
from ui.feedback import FeedbackStore

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(GRADIO_LOOPS)]


def test_ask_abstain_filter_feedback_and_errors(server: str, ui_settings: Settings) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    answer = client.predict("Qui compose le conseil citoyen ?", api_name="/ask")
    assert not answer["abstained"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["source"] == "fiches/conseils-citoyens.md"
    assert answer["citations"][0]["text"] and answer["sentences"][0]["supported"]
    assert "[^1]:" in answer["markdown"]

    missing = client.predict("Quel est le budget du festival de Trifouilly-les-Oies en 1987 ?", api_name="/ask")
    assert missing["abstained"] and missing["answer"].startswith("Je n'ai rien trouvé")

    official = client.predict("Quelles compétences exerce la communauté de communes ?", kind="texte officiel",
                              api_name="/ask")
    assert official["citations"] and {c["kind"] for c in official["citations"]} == {"texte officiel"}
    none = client.predict("Quelles compétences exerce la communauté de communes ?", year_from=2030,
                          api_name="/ask")
    assert none["abstained"] and none["citations"] == []
    follow = client.predict("et ses missions ?", history=["Qui compose le conseil citoyen ?"], api_name="/ask")
    assert not follow["abstained"] and follow["citations"][0]["source"] == "fiches/conseils-citoyens.md"

    message = client.predict(answer["question"], answer, "down", "Il manque la parité.", True, api_name="/feedback")
    assert "enregistré" in message
    (saved,) = FeedbackStore(ui_settings.feedback_path).all()
    assert (saved.rating, saved.wrong_source, saved.comment) == ("down", True, "Il manque la parité.")
    assert saved.answer["citations"][0]["source"] == "fiches/conseils-citoyens.md"

    with pytest.raises(Exception, match="Question vide"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(Exception, match="Avis inconnu"):
        client.predict("q", {}, "bof", api_name="/feedback")
    # the server keeps serving after errors
    assert not client.predict("Qui compose le conseil citoyen ?", api_name="/ask")["abstained"]


def test_document_route_is_mounted(server: str, ui_settings: Settings) -> None:
    import httpx

    from ui.files import root_key

    key = root_key(str(ui_settings.corpus_dir.resolve()))
    ok = httpx.get(f"{server}document", params={"root": key, "path": "fiches/conseils-citoyens.md"})
    assert ok.status_code == 200 and "tirés au sort" in ok.text
    refused = httpx.get(f"{server}document", params={"root": key, "path": "../data/feedback.sqlite"})
    assert refused.status_code == 403 and "Accès refusé" in refused.text


def test_cli_serve_binds_localhost(ui_assistant: object, ui_settings: Settings) -> None:
    """`carrefour serve` in a subprocess, as a user starts it: page served on 127.0.0.1, stopped cleanly."""
    import os
    import subprocess
    import sys
    import threading
    import time

    import httpx

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "CARREFOUR_EMBEDDER": "hash", "CARREFOUR_CORPUS_DIR": str(ui_settings.corpus_dir),
           "CARREFOUR_CHUNK_SIZE": "400", "CARREFOUR_CHUNK_OVERLAP": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--data-dir",
                             str(ui_settings.data_dir)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    # The message is printed once launch() returns, which may be just after the page answers: read it as it comes.
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, "".join(lines)
                time.sleep(0.3)
        else:
            raise AssertionError("le serveur n'a pas démarré en 40 s")
        assert page.status_code == 200 and "Carrefour" in page.text
        while time.monotonic() < deadline and not any("ouvrez" in line for line in lines):
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        reader.join(timeout=5)
        if proc.stdout:
            proc.stdout.close()
    assert any(f"ouvrez http://127.0.0.1:{port}" in line for line in lines)
