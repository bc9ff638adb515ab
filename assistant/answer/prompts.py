"""Prompt files of `prompts/`: a `version:` first line, then a `str.format` template."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.base.errors import ConfigError
from assistant.base.settings import PROJECT_ROOT, Settings

PROMPTS_DIR = PROJECT_ROOT / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    template: str

    def render(self, **values: str) -> str:
        # Literal braces of the JSON examples are kept; only known placeholders are filled.
        out = self.template
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return out


@lru_cache(maxsize=16)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    path = directory / f"{name}.md"
    if not path.is_file():
        raise ConfigError(f"Fichier de consigne introuvable : {path}. Restaurez le dossier prompts/ du dépôt.")
    text = path.read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith("version:"):
        raise ConfigError(f"{path.name} doit commencer par une ligne « version: … ».")
    return Prompt(name, first.split(":", 1)[1].strip(), body.strip())


CANARY_FILE = "prompt-canary"  # in the service's var directory, readable by its owner only


@lru_cache(maxsize=1)
def canary() -> str:
    """A per-installation secret planted in the system prompt: if it ever shows in an
    answer, the system prompt leaked (the answer is then withheld).

    ASSISTANT_PROMPT_CANARY (several machines: one value for all), else drawn once and kept in
    <var_dir>/prompt-canary. It must not change with each start: the small model's reading of a
    description moves with any token of its prompt, and a verdict that changes after a restart
    cannot be explained to an agent (2026-12-03: one description of the French set read « minimal »
    or « haut risque » depending on the canary drawn)."""
    given = os.environ.get("ASSISTANT_PROMPT_CANARY")
    if given:
        return given
    path = Settings.load().var_path / CANARY_FILE
    try:
        return _kept(path)
    except OSError:  # a read-only var directory: a secret for this process, as before
        return _drawn()


def _drawn() -> str:
    return "CANARI-" + secrets.token_hex(6).upper()


def _kept(path: Path) -> str:
    """The canary of `path`, written there first if absent (exclusively: two workers starting together
    keep the same one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the other worker may not have written it yet
            value = path.read_text(encoding="utf-8").strip()
            if value:
                return value
            time.sleep(0.01)
        raise OSError(f"{path} reste vide") from None
    value = _drawn()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value
