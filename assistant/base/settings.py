"""Settings, declared once with their default and help; read from ASSISTANT_* variables.

`assistant config` prints them all with their current values and where they came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from assistant.base.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_corpus_dir() -> str:
    shared = PROJECT_ROOT.parent / "shared" / "corpus"
    return str(shared if shared.is_dir() else PROJECT_ROOT / "corpus" / "files")


def _default_models_dir() -> str:
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("assistant-ia")) / "models")


def _setting(default: object, help: str, env: str = "") -> object:
    from dataclasses import field

    return field(default=default, metadata={"help": help, "env": env})


@dataclass(frozen=True)
class Settings:
    corpus_dir: str = _setting(_default_corpus_dir, "Dossier des textes sources (jamais copiés dans le dépôt).")  # type: ignore[assignment]
    manifest: str = _setting(lambda: str(PROJECT_ROOT / "corpus" / "sources.toml"), "Manifeste des documents.")  # type: ignore[assignment]
    index_dir: str = _setting(lambda: str(PROJECT_ROOT / "index"), "Dossier de l'index (générations FAISS + BM25).")  # type: ignore[assignment]
    models_dir: str = _setting(_default_models_dir, "Dossier des modèles vérifiés (hors du dépôt).")  # type: ignore[assignment]
    embedder: str = _setting("embeddinggemma", "Modèle de plongements : 'embeddinggemma' ou 'fake' (tests).")  # type: ignore[assignment]
    embed_batch: int = _setting(16, "Taille des lots de plongements.")  # type: ignore[assignment]
    llm: str = _setting("llm-1.5b", "LLM : 'llm-1.5b', 'llm-0.5b', un chemin .gguf, 'openai' ou 'fake'.")  # type: ignore[assignment]
    llm_url: str = _setting("", "URL d'un serveur compatible OpenAI (llama.cpp server, vLLM) si llm='openai'.")  # type: ignore[assignment]
    llm_model_name: str = _setting("", "Nom du modèle côté serveur OpenAI-compatible.")  # type: ignore[assignment]
    threads: int = _setting(lambda: min(os.cpu_count() or 2, 4), "Fils de calcul pour le LLM et les plongements.")  # type: ignore[assignment]
    n_ctx: int = _setting(4096, "Taille du contexte du LLM (jetons).")  # type: ignore[assignment]
    var_dir: str = _setting(lambda: str(PROJECT_ROOT / "var"), "Données du service : clés, audit (hors git).")  # type: ignore[assignment]
    keys_path: str = _setting("", "Fichier des clés d'API (défaut : <var_dir>/keys.json).")  # type: ignore[assignment]
    audit_path: str = _setting("", "Base SQLite du journal d'audit (défaut : <var_dir>/audit.sqlite3).")  # type: ignore[assignment]
    audit_retention_days: int = _setting(365, "Durée de conservation du journal d'audit et des avis (jours).")  # type: ignore[assignment]
    rate_per_minute: int = _setting(30, "Requêtes par minute et par clé d'API (seau à jetons).")  # type: ignore[assignment]
    parse_timeout: int = _setting(
        300, "Temps maximal d'analyse d'un document à l'indexation (secondes ; au-delà : refusé, index inchangé)."
    )  # type: ignore[assignment]
    parse_memory_mb: int = _setting(
        2048, "Mémoire maximale du processus d'analyse d'un document (Mo ; au-delà : refusé, index inchangé)."
    )  # type: ignore[assignment]
    ask_queue: int = _setting(
        4, "Demandes de réponse admises en même temps (au-delà : 503 « occupé », jamais d'attente sans fin)."
    )  # type: ignore[assignment]

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {}
        for f in fields(cls):
            env = f.metadata.get("env") or f"ASSISTANT_{f.name.upper()}"
            if f.name in overrides and overrides[f.name] is not None:
                raw: object = overrides[f.name]
            elif env in os.environ:
                raw = os.environ[env]
            else:
                raw = f.default() if callable(f.default) else f.default
            values[f.name] = _coerce(f.name, f.type, raw)
        return cls(**values)

    def describe(self) -> list[tuple[str, str, str, str]]:
        """(name, env variable, value, help) for each setting."""
        out = []
        for f in fields(self):
            env = f.metadata.get("env") or f"ASSISTANT_{f.name.upper()}"
            out.append((f.name, env, str(getattr(self, f.name)), f.metadata.get("help", "")))
        return out

    @property
    def corpus_path(self) -> Path:
        return Path(self.corpus_dir).expanduser()

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir).expanduser()

    @property
    def models_path(self) -> Path:
        return Path(self.models_dir).expanduser()

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir).expanduser()

    @property
    def keys_file(self) -> Path:
        return Path(self.keys_path).expanduser() if self.keys_path else self.var_path / "keys.json"

    @property
    def audit_file(self) -> Path:
        return Path(self.audit_path).expanduser() if self.audit_path else self.var_path / "audit.sqlite3"


def _coerce(name: str, typ: object, raw: object) -> object:
    if typ in (int, "int") and not isinstance(raw, int):
        try:
            return int(str(raw))
        except ValueError:
            raise ConfigError(
                f"Réglage {name} : « {raw} » n'est pas un nombre entier. Corrigez la variable ASSISTANT_{name.upper()}."
            ) from None
    return raw
