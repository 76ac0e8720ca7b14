"""Text embeddings: one interface, and the embedded default that needs no network.

An ``Embedder`` turns texts into unit-length float32 vectors, so a dot product is the
cosine similarity. The embedded default is WordLlama's static ``l2_supercat`` model
(256 dimensions): its weights and tokenizer ship inside the ``wordllama`` wheel and are
read from the package's own folder, never downloaded. It is loaded once per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import wordllama
from safetensors import safe_open
from wordllama import WordLlama
from wordllama.inference import WordLlamaInference

Vectors = npt.NDArray[np.float32]
STATIC_MODEL = "wordllama/l2_supercat-256"
STATIC_DIMENSIONS = 256
_THREAD_TEXTS = 64  # larger batches are embedded in a worker thread


class Embedder(Protocol):
    """Embeds texts as an (n, dimensions) float32 array of unit vectors."""

    @property
    def model(self) -> str:
        """Names the model and its dimensions: vectors of different models never mix."""
        ...

    async def embed(self, texts: Sequence[str]) -> Vectors: ...


class StaticEmbedder:
    """WordLlama's static token embeddings, averaged: about 0.03 ms a question on one core."""

    model = STATIC_MODEL
    dimensions = STATIC_DIMENSIONS

    def __init__(self) -> None:
        self._inference = _load_wordllama()

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._inference.embed(list(texts), norm=True)
        return np.asarray(vectors, dtype=np.float32)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if len(texts) > _THREAD_TEXTS:
            return await asyncio.to_thread(self.embed_sync, texts)
        return self.embed_sync(texts)


@lru_cache(maxsize=1)
def static_embedder() -> StaticEmbedder:
    """The process's one embedded model (about 20 MB of weights, loaded on first use)."""
    return StaticEmbedder()


def _load_wordllama() -> WordLlamaInference:
    # WordLlama.load looks for the tokenizer under "tokenizer/" while the wheel ships it under
    # "tokenizers/", and would then download it: build the inference object from the files.
    root = Path(wordllama.__file__).parent
    tokenizer = WordLlama.load_tokenizer(root / "tokenizers" / "l2_supercat_tokenizer_config.json")
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
        weights = f.get_tensor("embedding.weight")
    return WordLlamaInference(weights, tokenizer, binary=False)


def to_bytes(vector: Vectors) -> bytes:
    """A vector as stored in the database: little-endian float32."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> Vectors:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32, copy=False)
