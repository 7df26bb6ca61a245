"""The soak script itself, for a few seconds: chat under load while ingestions add, update and remove files."""

from __future__ import annotations

import pytest

from tests.ui.conftest import GRADIO_LOOPS


@pytest.mark.slow
@pytest.mark.filterwarnings(GRADIO_LOOPS)
def test_short_soak_has_no_error_and_no_stale_answer() -> None:
    from ui.soak import run

    figures = run(minutes=0.5, users=2, embedder="hash", interval=1.0, keep=False)
    assert figures["answered"] > 0 and figures["ingestions"] >= 1 and figures["freshness_checks"] >= 1
    assert (figures["errors"], figures["stale"]) == (0, 0), figures
