"""LLM backends behind one narrow protocol.

    Generator.stream(messages, *, max_tokens, schema=None, stop=None) -> Iterator[str]
    Scorer.first_token_scores(messages, words) -> {word: log-score}   (optional capability)

Implementations: `llama_cpp.LlamaCppGenerator` (local GGUF, the default),
`openai_http.OpenAIHTTPGenerator` (llama.cpp server, vLLM… on a departmental GPU
server), `fake.ScriptedGenerator` (unit tests). `make_generator` picks one from settings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant.base.settings import Settings

Message = dict[str, str]


@dataclass
class Usage:
    """Figures of the last call (filled by the backend as the stream is consumed)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens reused from the KV cache (prefix)
    extra: dict[str, float] = field(default_factory=dict)


class Generator(Protocol):
    name: str
    usage: Usage

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        schema: dict | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]: ...


class Scorer(Protocol):
    """A backend that can score the first token of its reply without generating it: the log-score of
    each word's first token (logits or log-probabilities: only their differences are used, which are
    log-odds either way). Words it cannot score are left out of the result."""

    def first_token_scores(self, messages: Sequence[Message], words: Sequence[str]) -> dict[str, float]: ...


def make_generator(settings: Settings) -> Generator:
    kind = settings.llm
    if kind == "fake":
        from assistant.backends.fake import ScriptedGenerator

        return ScriptedGenerator()
    if kind == "openai":
        from assistant.backends.openai_http import OpenAIHTTPGenerator

        return OpenAIHTTPGenerator(
            base_url=settings.llm_url,
            model=settings.llm_model_name or "default",
        )
    from pathlib import Path

    from assistant.backends.llama_cpp import LlamaCppGenerator
    from assistant.ops.models import SPECS, model_path

    if kind.endswith(".gguf"):
        path, name = Path(kind).expanduser(), Path(kind).name
        if not path.is_file():
            from assistant.base.errors import ModelError

            raise ModelError(f"Fichier GGUF introuvable : {path}. Corrigez ASSISTANT_LLM.")
    else:
        path = model_path(kind, settings.models_path)
        name = SPECS[kind].target.removesuffix(".gguf")
    return LlamaCppGenerator(
        path,
        name=name,
        n_threads=settings.threads,
        n_ctx=settings.n_ctx,
    )
