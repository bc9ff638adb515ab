"""Prompt files of `prompts/`: a `version:` first line, then a `str.format` template."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.base.errors import ConfigError
from assistant.base.settings import PROJECT_ROOT

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


@lru_cache(maxsize=1)
def canary() -> str:
    """A per-installation secret planted in the system prompt: if it ever shows in an
    answer, the system prompt leaked (the answer is then withheld)."""
    return os.environ.get("ASSISTANT_PROMPT_CANARY") or "CANARI-" + secrets.token_hex(6).upper()
