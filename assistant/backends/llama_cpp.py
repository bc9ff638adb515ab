"""llama-cpp-python on a verified local GGUF file.

The KV cache of the previous call is kept: llama.cpp reuses the longest common token
prefix, so a fixed system prompt placed first is evaluated once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from assistant.backends import Message, Usage
from assistant.errors import BackendError


class LlamaCppGenerator:
    def __init__(self, path: Path, *, name: str, n_threads: int = 2, n_ctx: int = 4096, seed: int = 0):
        try:
            from llama_cpp import Llama
        except ImportError:  # pragma: no cover - depends on the install
            raise BackendError("llama-cpp-python n'est pas installé : lancez `make install`.") from None
        self.name = name
        self.usage = Usage()
        self._lock = threading.Lock()  # one llama context: one generation at a time
        self._llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_batch=512,
            seed=seed,
            verbose=False,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        schema: dict | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        kwargs: dict = {
            "temperature": 0.0,
            "top_k": 1,
            "max_tokens": max_tokens,
            "stream": True,
            "repeat_penalty": 1.05,
        }
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        if stop:
            kwargs["stop"] = list(stop)
        with self._lock:
            before = list(self._llm._input_ids)  # tokens in the KV cache before this call
            self.usage = Usage()
            completion = 0
            try:
                for part in self._llm.create_chat_completion(messages=list(messages), **kwargs):
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        completion += 1
                        yield delta
            except ValueError as exc:  # context overflow and the like
                raise BackendError(f"Le modèle a refusé la requête ({exc}) : question ou contexte trop long.") from None
            total = int(self._llm.n_tokens)
            prompt = max(0, total - completion)
            after = list(self._llm._input_ids[:prompt])
            cached = 0
            for a, b in zip(before, after, strict=False):
                if a != b:
                    break
                cached += 1
            self.usage = Usage(prompt_tokens=prompt, completion_tokens=completion, cached_tokens=cached)
