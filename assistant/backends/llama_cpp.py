"""llama-cpp-python on a verified local GGUF file.

The KV cache of the previous call is kept: llama.cpp reuses the longest common token
prefix, so a fixed system prompt placed first is evaluated once per process.

A schema made only of string enums (the assessment's facts) is decoded by `choice.py`: the fixed
JSON text is evaluated in batches and only the values are chosen, from the same greedy logits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import numpy as np

from assistant.backends import Message, Usage
from assistant.backends.choice import decode_enum_object, enum_fields
from assistant.base.errors import BackendError


class LlamaCppGenerator:
    fast_enums = True  # enum-only schemas through `choice.py` (False: token-by-token grammar, for comparison)

    def __init__(self, path: Path, *, name: str, n_threads: int = 2, n_ctx: int = 4096, seed: int = 0):
        try:
            from llama_cpp import Llama
        except ImportError:  # pragma: no cover - depends on the install
            raise BackendError("llama-cpp-python n'est pas installé : lancez `make install`.") from None
        self.name = name
        self.usage = Usage()
        # The first-choice logits of each field of the last enum-only object (`choice.py`).
        self.choice_scores: dict[str, dict[str, float]] = {}
        # One llama context: one call at a time. Reentrant, so that `hold` keeps calls adjacent.
        self._lock = threading.RLock()
        # The GGUF's chat template, built on first use (False: the model uses another one).
        self._chat_formatter: Callable[..., Any] | bool | None = None
        self._llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_batch=512,
            seed=seed,
            verbose=False,
        )

    def hold(self) -> AbstractContextManager[Any]:
        """A context that keeps the calls made inside it adjacent (no other thread's call between
        them): what a call reuses from the KV cache then depends on the previous call only, and its
        logits do not move with what another request evaluated in between."""
        return self._lock

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
        fields = enum_fields(schema) if self.fast_enums else None
        if fields is not None:
            formatter = self._formatter()
            if formatter is not None:
                yield self._enum_object(formatter, messages, fields)
                return
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        if stop:
            kwargs["stop"] = list(stop)
        with self._lock:
            before = list(self._llm._input_ids)  # tokens in the KV cache before this call
            self.usage = Usage()
            completion = 0
            try:
                # stream=True: an iterator of chunks (the library's return type is a union of both modes)
                parts = cast(
                    Iterator[Any], self._llm.create_chat_completion(messages=cast(Any, list(messages)), **kwargs)
                )
                for part in parts:
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

    def first_token_scores(self, messages: Sequence[Message], words: Sequence[str]) -> dict[str, float]:
        """The next-token logit of each word's first token after the prompt (Scorer). The prompt's
        common prefix with the KV cache is reused, as by `stream`."""
        formatter = self._formatter()
        if formatter is None:
            return {}
        llm = self._llm
        result = formatter(messages=list(messages))
        prompt = llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        if len(prompt) + 1 >= llm.n_ctx():
            raise BackendError("Le modèle a refusé la requête : description trop longue pour le contexte.")
        with self._lock:
            cached = _reuse_prefix(llm, prompt)
            llm.eval(prompt[cached:])
            n_vocab = llm.n_vocab()
            logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
            out: dict[str, float] = {}
            for word in words:
                ids = llm.tokenize(word.encode("utf-8"), add_bos=False, special=False)
                if ids:
                    out[word] = float(logits[ids[0]])
            self.usage = Usage(prompt_tokens=len(prompt), completion_tokens=0, cached_tokens=cached)
        return out

    def _formatter(self) -> Callable[..., Any] | None:
        """The chat template `create_chat_completion` uses (the GGUF's own), or None if another one."""
        if self._chat_formatter is None:
            llm = self._llm
            template = llm.metadata.get("tokenizer.chat_template")
            if llm.chat_handler is not None or llm.chat_format != "chat_template.default" or not template:
                self._chat_formatter = False
            else:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                eos, bos = llm.token_eos(), llm.token_bos()
                self._chat_formatter = Jinja2ChatFormatter(
                    template=template,
                    eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                    bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
                    stop_token_ids=[eos],
                )
        return self._chat_formatter if callable(self._chat_formatter) else None

    def _enum_object(self, formatter: Callable[..., Any], messages: Sequence[Message], fields: list) -> str:
        llm = self._llm
        result = formatter(messages=list(messages))
        prompt = llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        if len(prompt) + 12 * len(fields) >= llm.n_ctx():
            raise BackendError("Le modèle a refusé la requête : description trop longue pour le contexte.")
        with self._lock:
            cached = _reuse_prefix(llm, prompt)
            n_vocab = llm.n_vocab()

            def tokenize(text: str) -> list[int]:
                return llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

            def logits() -> np.ndarray:
                return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))

            llm.eval(prompt[cached:])
            scores: dict[str, dict[str, float]] = {}
            text, evaluated = decode_enum_object(
                fields, tokenize=tokenize, feed=llm.eval, logits=logits, scores_out=scores
            )
            self.choice_scores = scores
            self.usage = Usage(prompt_tokens=len(prompt), completion_tokens=evaluated, cached_tokens=cached)
        return text


def _reuse_prefix(llm: Any, prompt: list[int]) -> int:
    """Keep the KV cache's common prefix with `prompt` (at least one token left to evaluate, for
    fresh logits) and drop the rest; the number of tokens kept."""
    cached = 0
    for a, b in zip(llm._input_ids, prompt[:-1], strict=False):
        if a != b:
            break
        cached += 1
    llm.n_tokens = cached  # `eval` drops the KV cache beyond this point
    return cached
