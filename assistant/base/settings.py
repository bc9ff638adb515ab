"""Settings, declared once with their default and help; read from ASSISTANT_* variables.

`assistant config` prints them all with their current values and where they came from.
Declared with pydantic-settings; a value that is not valid ends in a French `ConfigError`
naming the variable to fix, never in a pydantic traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.base.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "ASSISTANT_"


def _default_corpus_dir() -> str:
    shared = PROJECT_ROOT.parent / "shared" / "corpus"
    return str(shared if shared.is_dir() else PROJECT_ROOT / "corpus" / "files")


def _default_models_dir() -> str:
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("assistant-ia")) / "models")


def _in_project(*parts: str) -> Callable[[], str]:
    return lambda: str(PROJECT_ROOT.joinpath(*parts))


class Settings(BaseSettings):
    """Every setting of the service; immutable (derive a copy with `with_`)."""

    # Environment variables and constructor arguments only: no .env file and no secrets
    # directory. A sovereign server's settings come from its environment (the systemd unit
    # file), where the administrator sees all of them; a stray .env in the working
    # directory must not change what the service does.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    corpus_dir: str = Field(
        default_factory=_default_corpus_dir, description="Dossier des textes sources (jamais copiés dans le dépôt)."
    )
    manifest: str = Field(default_factory=_in_project("corpus", "sources.toml"), description="Manifeste des documents.")
    index_dir: str = Field(
        default_factory=_in_project("index"), description="Dossier de l'index (générations FAISS + BM25)."
    )
    models_dir: str = Field(
        default_factory=_default_models_dir, description="Dossier des modèles vérifiés (hors du dépôt)."
    )
    embedder: str = Field("embeddinggemma", description="Modèle de plongements : 'embeddinggemma' ou 'fake' (tests).")
    embed_batch: int = Field(16, description="Taille des lots de plongements.")
    llm: str = Field("llm-1.5b", description="LLM : 'llm-1.5b', 'llm-0.5b', un chemin .gguf, 'openai' ou 'fake'.")
    llm_url: str = Field(
        "",
        description="URL(s) de serveurs compatibles OpenAI (llama.cpp server, vLLM) si llm='openai', "
        "séparées par des virgules : chaque demande va au serveur disponible le moins occupé.",
    )
    llm_model_name: str = Field("", description="Nom du modèle côté serveur OpenAI-compatible.")
    threads: int = Field(
        default_factory=lambda: min(os.cpu_count() or 2, 4),
        description="Fils de calcul pour le LLM et les plongements.",
    )
    n_ctx: int = Field(4096, description="Taille du contexte du LLM (jetons).")
    var_dir: str = Field(default_factory=_in_project("var"), description="Données du service : clés, audit (hors git).")
    library_dir: str = Field(
        "", description="Documents ajoutés par l'administrateur, avec leurs versions (défaut : <var_dir>/library)."
    )
    keys_path: str = Field("", description="Fichier des clés d'API (défaut : <var_dir>/keys.json).")
    audit_path: str = Field("", description="Base SQLite du journal d'audit (défaut : <var_dir>/audit.sqlite3).")
    register_path: str = Field(
        "",
        description="Base SQLite du registre des usages de l'IA (défaut : <var_dir>/register.sqlite3 ; "
        "inutilisée avec ASSISTANT_DATABASE_URL).",
    )
    audit_retention_days: int = Field(365, description="Durée de conservation du journal d'audit et des avis (jours).")
    database_url: str = Field(
        "",
        description="Base PostgreSQL partagée (postgresql://…) pour l'audit, les clés, les avis, la limite de "
        "débit, le registre des usages de l'IA et les conversations de plusieurs processus ou machines ; vide : "
        "SQLite, fichiers locaux et conversations en mémoire. Schéma : assistant db upgrade.",
    )
    rate_per_minute: int = Field(30, description="Requêtes par minute et par clé d'API (seau à jetons).")
    parse_timeout: int = Field(
        300,
        description="Temps maximal d'analyse d'un document à l'indexation (secondes ; au-delà : refusé, index inchangé).",
    )
    parse_memory_mb: int = Field(
        2048,
        description="Mémoire maximale du processus d'analyse d'un document (Mo ; au-delà : refusé, index inchangé).",
    )
    ask_queue: int = Field(
        4,
        description="Demandes de réponse admises en même temps (au-delà : 503 « occupé », jamais d'attente sans fin).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings  # see model_config: no .env, no secrets directory

    @field_validator("*", mode="before")
    @classmethod
    def _paths_as_text(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """The settings from the environment; an override that is not None wins over its variable."""
        given: dict[str, Any] = {name: value for name, value in overrides.items() if value is not None}
        return _checked(lambda: cls(**given))

    def with_(self, **changes: object) -> Settings:
        """A copy with some settings changed, validated like the loaded ones (the environment is not read again)."""
        return _checked(lambda: type(self).model_validate({**self.model_dump(), **changes}))

    def describe(self) -> list[tuple[str, str, str, str]]:
        """(name, env variable, value, help) for each setting."""
        return [
            (name, env_name(name), str(getattr(self, name)), f.description or "")
            for name, f in type(self).model_fields.items()
        ]

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
    def library_path(self) -> Path:
        return Path(self.library_dir).expanduser() if self.library_dir else self.var_path / "library"

    @property
    def keys_file(self) -> Path:
        return Path(self.keys_path).expanduser() if self.keys_path else self.var_path / "keys.json"

    @property
    def audit_file(self) -> Path:
        return Path(self.audit_path).expanduser() if self.audit_path else self.var_path / "audit.sqlite3"

    @property
    def register_file(self) -> Path:
        return Path(self.register_path).expanduser() if self.register_path else self.var_path / "register.sqlite3"


def env_name(name: str) -> str:
    """The environment variable of a setting (its alias when it declares one)."""
    alias = Settings.model_fields[name].validation_alias
    return alias if isinstance(alias, str) else f"{ENV_PREFIX}{name.upper()}"


def _checked(build: Callable[[], Settings]) -> Settings:
    """Run `build`, turning pydantic's validation error into the French message of the first bad setting."""
    try:
        return build()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "?"
        if err["type"] == "extra_forbidden" or name not in Settings.model_fields:
            raise TypeError(f"unknown setting: {name}") from None  # a programming error, not the user's
        raw = err.get("input")
        if Settings.model_fields[name].annotation in (int, "int"):
            problem = "n'est pas un nombre entier"
        else:
            problem = "n'est pas une valeur valide"
        raise ConfigError(f"Réglage {name} : « {raw} » {problem}. Corrigez la variable {env_name(name)}.") from None
