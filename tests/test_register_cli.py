"""`assistant register …` (fake models): create, decide, publish, verify; French errors, no traceback.
On both backends: the settings' register (SQLite file, or PostgreSQL with ASSISTANT_DATABASE_URL)."""

from __future__ import annotations

import json

import pytest

from assistant.base.settings import Settings
from assistant.cli.main import main


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch) -> str:
    if request.param == "postgresql":
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", request.getfixturevalue("pg_url"))
    return request.param


def test_cli_walks_an_entry_to_the_public_register(fake_settings, backend, capsys, tmp_path):
    project = "Un logiciel trierait automatiquement les candidatures à nos offres d'emploi pour le jury."
    assert main(["register", "create", project, "--service", "RH", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    eid = entry["id"]
    assert entry["state"] == "draft" and entry["level"] == "high-risk"
    assert main(["register", "decide", eid, "approved", "--motifs", "ok"]) == 2  # a draft is not decided
    assert "brouillon" in capsys.readouterr().err
    assert main(["register", "submit", eid]) == 0
    assert main(["register", "decide", eid, "approved", "--motifs", "Conforme à la charte."]) == 0
    assert "approuvé" in capsys.readouterr().out
    out = tmp_path / "registre.csv"
    assert main(["register", "public", "--format", "csv", "--out", str(out)]) == 0
    assert eid in out.read_text(encoding="utf-8")
    assert main(["register", "show", eid, "--history"]) == 0
    assert [line.split()[2] for line in capsys.readouterr().out.splitlines()] == ["create", "submit", "decide"]
    assert main(["register", "list", "--json"]) == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [eid]
    assert main(["register", "verify"]) == 0
    assert "Registre intègre : 3 version(s)" in capsys.readouterr().out
    assert main(["register", "show", "IA-1999-0001"]) == 2
    assert "Aucune entrée" in capsys.readouterr().err
    settings = Settings.load()
    assert settings.register_file.exists() == (backend == "sqlite")  # PostgreSQL: no file beside it
    assert settings.audit_file.exists() == (backend == "sqlite")  # the CLI's audit rows go to the same backend


def test_cli_stale_lists_nothing_on_a_fresh_register(fake_settings, capsys):
    project = "Un agent conversationnel répondrait aux usagers sur les aides sociales du Département."
    assert main(["register", "create", project]) == 0
    capsys.readouterr()
    assert main(["register", "stale"]) == 0
    assert "évaluées sur le corpus actuel" in capsys.readouterr().err
