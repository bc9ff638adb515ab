"""Shared fixtures: the real corpus (read-only, from ../shared/corpus), fake backends, temp dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.base.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def corpus_dir() -> Path:
    return Path(os.environ.get("ASSISTANT_CORPUS_DIR", PROJECT_ROOT.parent / "shared" / "corpus"))


@pytest.fixture(autouse=True)
def private_var_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys and audit trail of every test in a temp dir: CLI requests are audited, never into the checkout's var/."""
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path_factory.mktemp("var")))


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if not (path / "ai-act-2024-1689.fr.html").is_file():
        pytest.skip(f"corpus absent de {path} (réglez ASSISTANT_CORPUS_DIR)")
    return path


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """A full index of the default corpus built once with the deterministic fake embedder."""
    from assistant.search.embed import FakeEmbedder
    from assistant.search.index import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(
        manifest_path=PROJECT_ROOT / "corpus" / "sources.toml",
        corpus_dir=corpus,
        index_dir=index_dir,
        embedder_factory=FakeEmbedder,
        embedder_name=FakeEmbedder().name,
    )
    return index_dir


@pytest.fixture()
def fake_settings(fake_index_dir: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(fake_index_dir))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ASSISTANT_LLM", "fake")
    return Settings.load()


@pytest.fixture()
def api_settings(fake_index_dir: Path, corpus: Path, tmp_path: Path) -> Settings:
    """Settings for an API over the fake index: fake backends, a private var dir, no rate limit in practice."""
    return Settings.load(
        embedder="fake",
        llm="fake",
        index_dir=str(fake_index_dir),
        corpus_dir=str(corpus),
        var_dir=str(tmp_path / "var"),
        rate_per_minute=1_000_000,
    )


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL for the session (tests/pgserver.py); skipped with the reason when absent."""
    from tests.pgserver import PgServer, missing_reason

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture()
def pg_url(pg_server) -> str:
    """A fresh database with the current schema, on the session's PostgreSQL."""
    return pg_server.fresh_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def register_backend(request, tmp_path):
    """The register store of each backend (tests/register_backend.py): SQLite, then a fresh PostgreSQL database."""
    from tests.register_backend import RegisterBackend

    if request.param == "sqlite":
        return RegisterBackend("sqlite", str(tmp_path / "register.sqlite3"))
    return RegisterBackend("postgresql", request.getfixturevalue("pg_url"))
