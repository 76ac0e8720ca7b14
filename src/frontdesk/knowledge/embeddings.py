"""Text embeddings: one interface, and the embedded default that needs no network.

An ``Embedder`` turns texts into unit-length float32 vectors, so a dot product is the
cosine similarity. The embedded default is WordLlama's static ``l2_supercat`` model
(256 dimensions): its weights and tokenizer ship inside the ``wordllama`` wheel and are
read from the package's own folder, never downloaded. It is loaded once per process.

``OpenAIEmbedder`` calls any OpenAI-compatible ``/v1/embeddings`` endpoint through the official
SDK (``text-embedding-3-small`` cut to 256 dimensions by default). ``embedder_for`` picks a
tenant's embedder from its bot configuration (``knowledge.embeddings``) with the same key and
endpoint rules as the chat provider: a tenant's own base URL gets the tenant's own key only,
through the outbound guard; the deployment's key only goes to the deployment's endpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx
import numpy as np
import numpy.typing as npt
import openai
import wordllama
from safetensors import safe_open
from wordllama import WordLlama
from wordllama.inference import WordLlamaInference

from frontdesk.llm.endpoint import endpoint_for
from frontdesk.llm.openai_provider import client_for, to_llm_error

if TYPE_CHECKING:
    from frontdesk.config import Settings
    from frontdesk.kit.outbound import OutboundPolicy
    from frontdesk.tenants.bot_config import BotConfigIn

Vectors = npt.NDArray[np.float32]
STATIC_MODEL = "wordllama/l2_supercat-256"
STATIC_DIMENSIONS = 256
_THREAD_TEXTS = 4  # more texts (the job's batches: ~50 ms for 64 chunks) are embedded in a thread
OPENAI_MODEL = "text-embedding-3-small"
OPENAI_DIMENSIONS = 256
OPENAI_BATCH_TEXTS = 128  # inputs per request
OPENAI_BATCH_CHARS = 200_000  # characters per request (about 50k tokens, under the API's limits)
OPENAI_TIMEOUT_SECONDS = 10.0


class EmbeddingError(RuntimeError):
    """The embedding provider failed (a fixed, safe message: never the provider's own text)."""


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
    """The process's one embedded model, loaded on first use: 16 MB of float16 weights on disk,
    31 MB as float32 in memory; about 48 MB of resident memory once loaded (docs/knowledge.md)."""
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


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint through the official SDK.

    ``outbound`` is the guard, for an endpoint a tenant chose (as for ``OpenAIProvider``);
    every request has a timeout and the whole call a deadline. Errors become ``EmbeddingError``.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        model_name: str = OPENAI_MODEL,
        dimensions: int = OPENAI_DIMENSIONS,
        timeout_s: float = OPENAI_TIMEOUT_SECONDS,
        max_retries: int = 1,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self.model_name = model_name
        self.dimensions = dimensions
        self.model = openai_model_name(model_name, dimensions, base_url)
        self._client = client_for(  # one client cache for chat and embeddings
            api_key, base_url, float(timeout_s), max_retries, outbound
        )
        self._deadline_s = float(timeout_s) * (max_retries + 1)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        out: list[Vectors] = []
        try:
            for batch in _batches(texts):
                async with asyncio.timeout(self._deadline_s):
                    response = await self._client.embeddings.create(
                        model=self.model_name,
                        input=list(batch),
                        dimensions=self.dimensions,
                        encoding_format="float",
                    )
                rows = sorted(response.data, key=lambda item: item.index)
                if len(rows) != len(batch):
                    raise EmbeddingError("the embedding endpoint returned the wrong number of vectors")
                matrix = np.asarray([row.embedding for row in rows], dtype=np.float32)
                if matrix.ndim != 2 or matrix.shape[1] != self.dimensions:
                    raise EmbeddingError("the embedding endpoint returned vectors of the wrong size")
                out.append(_normalized(matrix))
        except (openai.OpenAIError, httpx.HTTPError, TimeoutError) as exc:
            raise EmbeddingError(f"embedding request failed: {to_llm_error(exc)}") from None
        except UnicodeError:  # a key or header the HTTP client cannot send (saved before it was checked)
            raise EmbeddingError(
                "embedding request failed: the API key is not valid text for a header"
            ) from None
        if not out:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.concatenate(out)


def openai_model_name(
    model_name: str = OPENAI_MODEL, dimensions: int = OPENAI_DIMENSIONS, base_url: str | None = None
) -> str:
    """Names the model, its dimensions and the endpoint serving it: the same model name at two
    endpoints (the deployment's, a tenant's own) is two models, whose vectors never mix and
    whose question vectors are never shared."""
    endpoint = hashlib.sha256((base_url or "default").encode()).hexdigest()[:8]
    return f"openai/{model_name}-{dimensions}@{endpoint}"


def _batches(texts: Sequence[str]) -> list[Sequence[str]]:
    batches: list[Sequence[str]] = []
    start, chars = 0, 0
    for i, text in enumerate(texts):
        if i > start and (i - start >= OPENAI_BATCH_TEXTS or chars + len(text) > OPENAI_BATCH_CHARS):
            batches.append(texts[start:i])
            start, chars = i, 0
        chars += len(text)
    if start < len(texts):
        batches.append(texts[start:])
    return batches


def _normalized(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalized: Vectors = (matrix / norms).astype(np.float32, copy=False)
    return normalized


def embedder_for(config: BotConfigIn, settings: Settings) -> Embedder:
    """The tenant's embedder: the embedded model, or the OpenAI-compatible endpoint its bot
    configuration asks for (``knowledge.embeddings``), with the chat provider's key rules. With
    ``openai`` but no key anywhere (a key removed after the choice was saved), the embedded model."""
    if config.knowledge.embeddings != "openai":
        return static_embedder()
    endpoint = endpoint_for(config.llm.api_key, config.llm.base_url, settings)
    if endpoint is None:
        return static_embedder()
    return OpenAIEmbedder(
        endpoint.api_key,
        endpoint.base_url,
        timeout_s=min(settings.llm_timeout_seconds, OPENAI_TIMEOUT_SECONDS),
        outbound=endpoint.outbound,
    )


def model_for(config: BotConfigIn, settings: Settings) -> str:
    """The model name ``embedder_for`` would use, without building a client."""
    if config.knowledge.embeddings != "openai":
        return STATIC_MODEL
    endpoint = endpoint_for(config.llm.api_key, config.llm.base_url, settings)
    return openai_model_name(base_url=endpoint.base_url) if endpoint else STATIC_MODEL
