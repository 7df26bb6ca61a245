"""The page in a real Chromium: example question, streamed cited answer, source, feedback, admin upload."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from tests.ui.conftest import EXAMPLES, GRADIO_LOOPS, PASSWORD
from ui.feedback import FeedbackStore

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(GRADIO_LOOPS),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent : apt-get install -y chromium"),
]
# Without the background-networking flags Chromium keeps calling outside hosts (see ../shared/MODELS.md).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT = 15_000


@pytest.fixture
def page(server: str) -> Iterator:  # type: ignore[type-arg]
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
        page.set_default_timeout(TIMEOUT)
        expect.set_options(timeout=TIMEOUT)  # expect() has its own 5 s default, short on a loaded machine
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server, wait_until="load")
        yield page
        assert dialogs == [], "a script from a question or a document ran"
        browser.close()


def shoot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CARREFOUR_SCREENSHOTS"):
        target = Path(os.environ["CARREFOUR_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


def test_question_source_and_feedback(page, ui_settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    expect(page.locator("#cf-intro")).to_contain_text("3 documents")
    shoot(page, tmp_path, "1-accueil")

    # an example question: the streamed answer arrives with its [1]
    page.get_by_role("button", name=EXAMPLES[0]).click()
    conversation = page.locator("#cf-conversation")
    expect(conversation.locator(".cf-q")).to_contain_text(EXAMPLES[0])
    cite = conversation.locator("a.cf-cite", has_text="[1]").first
    expect(cite).to_be_visible()
    expect(conversation).to_contain_text("tirés au sort")
    shoot(page, tmp_path, "2-reponse")

    # [1] opens the source: title, passage, supporting sentence highlighted
    cite.click()
    source = page.locator("#cf-src-1-1")
    expect(source).to_be_in_viewport()
    expect(source).to_contain_text("Les conseils citoyens")
    highlighted = source.locator("mark").first.inner_text()
    assert highlighted and highlighted in conversation.inner_text()  # the sentence the answer took from it
    shoot(page, tmp_path, "3-source")
    with page.expect_popup() as popup:
        source.locator("a.cf-open").click()
    original = popup.value
    original.wait_for_load_state("load")
    assert highlighted in original.locator("mark#passage").inner_text()
    shoot(original, tmp_path, "4-document")
    original.close()

    # a 👎 with a comment and the "source erronée" flag is stored
    page.locator("#cf-comment textarea").fill("Il manque le rôle du préfet.")
    page.locator("#cf-wrong input[type=checkbox]").check()
    page.locator("#cf-down").click()
    expect(page.locator("#cf-thanks")).to_contain_text("enregistré")
    (saved,) = FeedbackStore(ui_settings.feedback_path).all()
    assert (saved.rating, saved.wrong_source, saved.comment) == ("down", True, "Il manque le rôle du préfet.")
    assert saved.question == EXAMPLES[0]
    shoot(page, tmp_path, "5-avis")

    # markup inside a question and a passage is shown as text, never run
    page.locator("#cf-question textarea, #cf-question input").first.fill("<img src=x onerror=alert(1)> balise piège")
    page.locator("#cf-send").click()
    expect(page.locator("#cf-sources")).to_contain_text("<script>alert('x')</script>")
    expect(conversation.locator(".cf-q").last).to_contain_text("<img src=x onerror=alert(1)>")

    # the Markdown export, then a fresh conversation
    page.get_by_text("Exporter la réponse").click()
    expect(page.locator("#cf-markdown textarea")).to_have_value(re.compile(r"\[\^1\]: "))
    page.locator("#cf-new").click()
    expect(conversation.locator(".cf-turn")).to_have_count(0)
    expect(page.locator("#cf-sources")).not_to_contain_text("Les conseils citoyens")


def test_admin_upload_becomes_searchable(page, ui_settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Administration").click()
    page.locator("#cf-password input").fill("pas-le-bon")
    page.locator("#cf-unlock").click()
    expect(page.locator("#cf-unlocked")).to_contain_text("Mot de passe incorrect")
    expect(page.locator("#cf-admin-panel")).to_be_hidden()
    page.locator("#cf-password input").fill(PASSWORD)
    page.locator("#cf-unlock").click()
    expect(page.locator("#cf-status")).to_contain_text("3 documents")
    upload = tmp_path / "upload"
    upload.mkdir()
    note = upload / "Note budget participatif (2024).md"
    note.write_text("# Budget participatif\n\nLe budget participatif de Trifouilly finance des projets proposés et "
                    "votés par les habitants du quartier.\n", encoding="utf-8")
    page.locator("#cf-upload input[type=file]").set_input_files(str(note))
    expect(page.locator("#cf-upload")).to_contain_text("Note budget participatif")
    page.locator("#cf-ingest").click()
    expect(page.locator("#cf-report")).to_contain_text("Indexation terminée", timeout=30_000)
    expect(page.locator("#cf-report")).to_contain_text("1 ajouté(s)")
    expect(page.locator("#cf-status")).to_contain_text("4 documents")
    assert (ui_settings.upload_dir / "Note-budget-participatif-2024.md").is_file()
    shoot(page, tmp_path, "6-administration")

    page.get_by_role("tab", name="Questions").click()
    page.locator("#cf-question textarea, #cf-question input").first.fill(
        "Que finance le budget participatif de Trifouilly ?")
    page.locator("#cf-question textarea, #cf-question input").first.press("Enter")
    expect(page.locator("#cf-src-1-1")).to_contain_text("depots/Note-budget-participatif-2024.md")
    expect(page.locator("#cf-conversation")).to_contain_text("Trifouilly finance des projets")
    shoot(page, tmp_path, "7-nouveau-document")


def test_admin_wrong_password_never_reaches_the_queue(page, ui_settings: Settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Issue 12, medium 3: upload and removal with a wrong password are refused outside the queue (said in French
    in the tab), the queued work is never entered and the guard counts each attempt once; the right one still works."""
    from playwright.sync_api import expect

    from ui import admin

    entered: list[str] = []  # the queued work, as the app calls it

    def counted(name: str, work: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            entered.append(name)
            return work(*args, **kwargs)
        return call

    monkeypatch.setattr(admin, "upload_and_ingest", counted("upload", admin.upload_and_ingest))
    monkeypatch.setattr(admin, "remove_upload", counted("remove", admin.remove_upload))
    caplog.set_level("WARNING", "carrefour.admin")
    page.get_by_role("tab", name="Administration").click()
    password = page.locator("#cf-password input")
    password.fill(PASSWORD)
    page.locator("#cf-unlock").click()  # opens the panel and Gradio's upload route to this client
    expect(page.locator("#cf-status")).to_contain_text("3 documents")
    note = tmp_path / "Note jardins.md"
    note.write_text("# Jardins\n\nLes jardins partagés de Trifouilly sont gérés par les habitants.\n", encoding="utf-8")
    page.locator("#cf-upload input[type=file]").set_input_files(str(note))
    expect(page.locator("#cf-upload")).to_contain_text("Note jardins")

    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records if "mot de passe incorrect" in r.getMessage()]

    password.fill("pas-le-bon")
    for attempt, button in enumerate(("#cf-ingest", "#cf-remove"), start=1):
        page.locator(button).click()
        expect(page.locator("#cf-report")).to_contain_text("Mot de passe incorrect. Déverrouillez d'abord")
        deadline = time.monotonic() + TIMEOUT / 1000
        while len(refusals()) < attempt and time.monotonic() < deadline:
            time.sleep(0.1)
    password.fill(PASSWORD)
    page.locator("#cf-ingest").click()
    expect(page.locator("#cf-report")).to_contain_text("1 ajouté(s)", timeout=30_000)
    page.locator("#cf-uploaded input").click()
    page.get_by_role("option", name="Note-jardins.md").click()
    page.locator("#cf-remove").click()
    expect(page.locator("#cf-report")).to_contain_text("Document retiré", timeout=30_000)
    expect(page.locator("#cf-status")).to_contain_text("3 documents")
    # Queued calls run one at a time in order: had a refused one been queued, it would have run before these.
    assert entered == ["upload", "remove"]
    assert len(refusals()) == 2 and "(2 échec(s) de suite)" in refusals()[-1]  # two attempts, counted once each


def test_narrow_screen_folded_feedback_and_rich_export(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(page.locator("#cf-comment textarea")).to_be_hidden()  # nothing to rate yet: the block stays folded
    page.get_by_role("button", name=EXAMPLES[0]).click()
    conversation = page.locator("#cf-conversation")
    expect(conversation.locator(".cf-inline-sources").first).to_be_visible()  # the sources right under the answer
    expect(page.locator("#cf-sources-column")).to_be_hidden()
    conversation.locator(".cf-a a.cf-cite", has_text="[1]").first.click()
    expect(page.locator("#cf-isrc-1-1")).to_be_in_viewport()
    expect(page.locator("#cf-comment textarea")).to_be_visible()  # an answer to rate: the block opened
    expect(page.locator("#cf-up")).to_contain_text("Réponse utile")
    shoot(page, tmp_path, "6-telephone")
    page.get_by_text("Exporter la réponse").click()
    expect(page.locator("#cf-rich sup").first).to_have_text("[1]")
    expect(page.locator("#cf-rich-download")).to_be_visible()


def test_opening_the_filters_without_setting_one_changes_nothing(page) -> None:  # type: ignore[no-untyped-def]
    """The empty year boxes send 0 once the filters are opened: that filtered every passage out."""
    from playwright.sync_api import expect

    page.get_by_text("Filtrer les documents").click()
    expect(page.locator("#cf-from")).to_be_visible()
    page.locator("#cf-question textarea").fill(EXAMPLES[0])
    page.locator("#cf-send").click()
    conversation = page.locator("#cf-conversation")
    expect(conversation.locator("a.cf-cite", has_text="[1]").first).to_be_visible()
    expect(conversation).to_contain_text("tirés au sort")
    expect(conversation).not_to_contain_text("retirez les filtres")
