"""Quiz items for a session: drawn from the validated bank, completed by code when it lacks some."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any

from assistant.base.errors import InputError
from assistant.training.quiz import Item, item_key
from assistant.training.quizbank import Bank
from assistant.training.quizgen import Builder, generate


def builder_for(index: Any) -> Builder:
    """An item builder over the chunks of a loaded index (with the documents' official URLs)."""
    return Builder(index.chunks, urls=index.document_urls, corpus_version=index.corpus_version)


def quiz_items(
    bank: Bank,
    builder: Callable[[], Builder],
    topics: Sequence[str],
    n: int,
    level: str | None,
    seed: int | str | None = None,
    notes: list[str] | None = None,
) -> list[Item]:
    """`n` items from the bank; when it lacks some, completed with items built by code on the spot
    (template wording, validated the same way) and a note saying so."""
    if not 1 <= n <= 100:
        raise InputError("Le nombre de questions doit être compris entre 1 et 100.")
    topics = list(topics)
    items = bank.draw(topics, n, level=level, seed=seed)
    if len(items) < n:
        seen = {item_key(it) for it in items}
        per_topic = -(-(n - len(items)) // len(topics))
        extra, _ = generate(
            builder(),
            topics,
            per_topic + 2,
            seen=seen,
            seed=zlib.crc32(str(seed).encode()) % 1000 if seed else 0,
        )
        extra = [it for it in extra if not level or it.level == level][: n - len(items)]
        if notes is not None and extra:
            notes.append(
                f"{len(extra)} question(s) construite(s) à la volée (formulation du gabarit) : la banque n'en avait que "
                f"{len(items)} pour ces thèmes. Enrichissez-la avec `assistant training bank`."
            )
        items += extra
    if not items:
        raise InputError(
            "Aucune question disponible pour ces thèmes et ce niveau : essayez un autre niveau ou d'autres thèmes."
        )
    return items


__all__ = ["builder_for", "quiz_items"]
