"""A scripted generator for unit tests: replies are queued, calls are recorded."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.backends import Message, Usage


class ScriptedGenerator:
    def __init__(self, replies: Sequence[str] = (), *, name: str = "fake-llm"):
        self.name = name
        self.usage = Usage()
        self.replies: list[str] = list(replies)
        self.history: list[dict] = []
        self.default = '{"trouve": true, "reponse": "", "sources": [1]}'
        self.scores: list[dict[str, float]] = []  # queued first-token scores (Scorer); none: {}

    def enqueue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        schema: dict | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        self.history.append({"messages": list(messages), "max_tokens": max_tokens, "schema": schema})
        reply = self.replies.pop(0) if self.replies else self.default
        prompt = sum(len(m["content"]) for m in messages) // 4
        pieces = [reply[i : i + 4] for i in range(0, len(reply), 4)]
        self.usage = Usage(prompt_tokens=prompt, completion_tokens=len(pieces))
        yield from pieces

    def first_token_scores(self, messages: Sequence[Message], words: Sequence[str]) -> dict[str, float]:
        self.history.append({"messages": list(messages), "words": list(words)})
        given = self.scores.pop(0) if self.scores else {}
        return {w: v for w, v in given.items() if w in words}
