"""Settings: ASSISTANT_* variables, overrides, French errors, help texts, no .env file."""

from __future__ import annotations

import re

import pytest

from assistant.base.errors import ConfigError
from assistant.base.settings import Settings, env_name

_FRENCH_WORD = re.compile(r"\b(de|des|du|d'|le|la|les|l'|un|une|et|ou|si|pour|au)\b", re.IGNORECASE)


@pytest.mark.parametrize("name", ["embed_batch", "n_ctx", "rate_per_minute", "parse_timeout", "ask_queue"])
@pytest.mark.parametrize("raw", ["beaucoup", "", "12 Mo", "4.5"])
def test_a_wrong_integer_gives_the_french_error_naming_the_variable(monkeypatch, name, raw):
    monkeypatch.setenv(f"ASSISTANT_{name.upper()}", raw)
    with pytest.raises(ConfigError) as info:
        Settings.load()
    assert str(info.value) == (
        f"Réglage {name} : « {raw} » n'est pas un nombre entier. Corrigez la variable ASSISTANT_{name.upper()}."
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no pydantic traceback behind it


def test_a_wrong_override_or_copy_gives_the_same_error():
    with pytest.raises(
        ConfigError, match=re.escape("« vite » n'est pas un nombre entier. Corrigez la variable ASSISTANT_THREADS.")
    ):
        Settings.load(threads="vite")
    with pytest.raises(ConfigError, match="Corrigez la variable ASSISTANT_ASK_QUEUE"):
        Settings.load().with_(ask_queue="x")


def test_integers_are_read_from_their_variables(monkeypatch):
    monkeypatch.setenv("ASSISTANT_PARSE_MEMORY_MB", " 512 ")
    monkeypatch.setenv("ASSISTANT_EMBED_BATCH", "8")
    s = Settings.load()
    assert (s.parse_memory_mb, s.embed_batch) == (512, 8)


def test_an_override_wins_over_the_environment_and_none_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_LLM", "llm-0.5b")
    monkeypatch.setenv("ASSISTANT_RATE_PER_MINUTE", "5")
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "env-var"))
    s = Settings.load(llm="fake", rate_per_minute=99, var_dir=None)
    assert (s.llm, s.rate_per_minute) == ("fake", 99)
    assert s.var_dir == str(tmp_path / "env-var")  # None: the variable still counts
    assert s.keys_file == tmp_path / "env-var" / "keys.json"
    assert s.audit_file == tmp_path / "env-var" / "audit.sqlite3"
    assert Settings.load(var_dir=tmp_path / "p").var_path == tmp_path / "p"  # a Path is taken as its text


def test_defaults_without_any_variable(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    s = Settings.load()
    assert (s.embedder, s.llm, s.embed_batch, s.n_ctx, s.rate_per_minute) == (
        "embeddinggemma",
        "llm-1.5b",
        16,
        4096,
        30,
    )
    assert (s.parse_timeout, s.parse_memory_mb, s.ask_queue, s.audit_retention_days) == (300, 2048, 4, 365)
    assert 1 <= s.threads <= 4 and s.models_dir.endswith("models") and s.index_dir.endswith("index")
    assert s.keys_path == "" and s.keys_file == s.var_path / "keys.json"


def test_settings_are_frozen_and_copied_with_changes(monkeypatch):
    s = Settings.load(llm="fake")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        s.llm = "llm-1.5b"  # type: ignore[misc]
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    copy = s.with_(rate_per_minute="7")
    assert copy.rate_per_minute == 7 and s.rate_per_minute == 30
    assert copy.embedder == s.embedder  # a copy does not read the environment again
    with pytest.raises(TypeError, match="unknown setting: rate"):
        s.with_(rate=7)
    with pytest.raises(TypeError, match="unknown setting: lmm"):
        Settings.load(lmm="fake")


def test_no_dotenv_file_is_read(monkeypatch, tmp_path):
    """A sovereign server's settings come from its environment, not from a file in the working directory."""
    (tmp_path / ".env").write_text("ASSISTANT_LLM=from-dotenv\nASSISTANT_N_CTX=12\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSISTANT_LLM", raising=False)
    monkeypatch.delenv("ASSISTANT_N_CTX", raising=False)
    s = Settings.load()
    assert (s.llm, s.n_ctx) == ("llm-1.5b", 4096)


def test_every_setting_has_a_french_help_text():
    rows = Settings.load().describe()
    assert [r[0] for r in rows] == list(Settings.model_fields)
    for name, env, _value, help_ in rows:
        assert env == f"ASSISTANT_{name.upper()}"
        assert help_.endswith(".") and len(help_) > 15, name
        assert _FRENCH_WORD.search(help_), f"{name}: {help_}"
