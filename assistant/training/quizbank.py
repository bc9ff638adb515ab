"""The bank of validated quiz items: one JSONL file under Settings.var_dir, served instantly.

Items are generated ahead (slow small model), validated, then appended; a session draws
from the bank and mixes topics. Writes are atomic (temporary file + rename, under a lock
file) and never drop an existing item; a corrupt line is skipped on reading, not lost.
Every item is validated again when drawn, so a hand-edited bank cannot show a bad item.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from assistant.base.errors import InputError
from assistant.training.quiz import LEVELS, TOPIC_BY_SLUG, Item, item_key, validate

BANK_NAME = "quiz-bank.jsonl"


def bank_path(settings: object) -> Path:
    return Path(str(getattr(settings, "var_dir", "var"))).expanduser() / "training" / BANK_NAME


class Bank:
    def __init__(self, path: Path):
        self.path = Path(path)

    # ------------------------------------------------------------------ reading

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def items(self) -> list[Item]:
        out = []
        for line in self._lines():
            try:
                out.append(Item.from_json(json.loads(line)))
            except (ValueError, TypeError):
                continue  # a damaged line: skipped here, kept in the file
        return out

    def keys(self) -> set[str]:
        return {item_key(it) for it in self.items()}

    def stats(self) -> dict:
        items = self.items()
        per_topic = {t: 0 for t in TOPIC_BY_SLUG}
        per_level = {lv: 0 for lv in LEVELS}
        per_kind: dict[str, int] = {}
        for it in items:
            per_topic[it.topic] = per_topic.get(it.topic, 0) + 1
            per_level[it.level] = per_level.get(it.level, 0) + 1
            per_kind[it.kind] = per_kind.get(it.kind, 0) + 1
        return {"path": str(self.path), "items": len(items), "per_topic": per_topic, "per_level": per_level,
                "per_kind": per_kind}  # fmt: skip

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, items: Iterable[Item]) -> int:
        """Append the valid items that are not in the bank yet; returns how many were added."""
        with self._locked():
            lines = self._lines()
            seen = set()
            for line in lines:
                with suppress(ValueError, TypeError):
                    seen.add(item_key(Item.from_json(json.loads(line))))
            new = []
            for it in items:
                key = item_key(it)
                if key in seen or validate(it):
                    continue
                seen.add(key)
                new.append(json.dumps(it.to_json(), ensure_ascii=False))
            if new:
                self._write(lines + new)
            return len(new)

    def _write(self, lines: Sequence[str]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".quiz-bank-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------ drawing

    def draw(
        self,
        topics: Sequence[str] = (),
        n: int = 10,
        *,
        level: str | None = None,
        seed: int | str | None = None,
        corpus_version: str | None = None,
    ) -> list[Item]:
        """Up to `n` valid items of the topics (all when empty), mixed: topics take turns."""
        unknown = [t for t in topics if t not in TOPIC_BY_SLUG]
        if unknown:
            raise InputError(f"Thème inconnu : {', '.join(unknown)}. Thèmes : {', '.join(TOPIC_BY_SLUG)}.")
        if level and level not in LEVELS:
            raise InputError(f"Niveau inconnu : « {level} » (débutant ou confirmé).")
        wanted = set(topics or TOPIC_BY_SLUG)
        pool = [
            it
            for it in self.items()
            if it.topic in wanted
            and (not level or it.level == level)
            and (not corpus_version or not it.corpus_version or it.corpus_version == corpus_version)
            and not validate(it)
        ]
        rng = random.Random(seed)
        by_topic: dict[str, list[Item]] = {}
        for it in pool:
            by_topic.setdefault(it.topic, []).append(it)
        for v in by_topic.values():
            rng.shuffle(v)
        order = list(by_topic)
        rng.shuffle(order)
        out: list[Item] = []
        while len(out) < n and any(by_topic.values()):
            for t in order:
                if by_topic[t] and len(out) < n:
                    out.append(by_topic[t].pop())
        return out
