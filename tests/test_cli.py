from __future__ import annotations

import json

from assistant.cli.main import main


def test_search_json_contract(fake_settings, capsys):
    assert main(["search", "--json", "-k", "3", "Quelle amende pour une pratique interdite ?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"] == "Quelle amende pour une pratique interdite ?"
    assert len(out["results"]) == 3
    for r in out["results"]:
        assert isinstance(r["rank"], int) and isinstance(r["score"], float)
        assert r["doc_id"] and r["ref"] and r["label"] and r["lang"] in ("fr", "en") and r["text"]


def test_missing_index_gives_an_actionable_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    assert main(["search", "question"]) == 2
    err = capsys.readouterr().err
    assert "assistant index build" in err and "Traceback" not in err


def test_bad_manifest_is_reported_and_index_kept(fake_settings, tmp_path, monkeypatch, capsys):
    bad = tmp_path / "sources.toml"
    bad.write_text("[[document]]\ndoc_id = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_MANIFEST", str(bad))
    assert main(["index", "build"]) == 2
    assert "champ(s) manquant(s)" in capsys.readouterr().err
    assert main(["index", "status"]) == 0


def test_index_status_json(fake_settings, capsys):
    assert main(["index", "status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["ready"] and st["chunks"] > 1500
    assert {d["doc_id"] for d in st["documents"]} == {
        "ai-act",
        "ai-act-2026-1744",
        "charte",
        "cnil-ia-generative-faq",
        "cnil-ia-annoter-donnees",
    }


def test_eval_retrieval_writes_results(fake_settings, tmp_path, capsys):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps(
            {
                "id": "a",
                "question": "Quelle amende pour les pratiques interdites de l'article 5 ?",
                "gold": [{"doc": "ai-act", "ref": "art-99"}],
            }
        )
        + "\n"
        + json.dumps({"id": "b", "question": "Prix du ticket de bus ?", "answerable": False, "gold": []})
        + "\n",
        encoding="utf-8",
    )
    assert main(["eval", "retrieval", "--questions", str(qfile), "--out", str(tmp_path / "run")]) == 0
    assert "recall@5" in capsys.readouterr().out
    lines = [json.loads(x) for x in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"] and lines[0]["results"]


def test_config_lists_every_variable_with_its_value_and_help(monkeypatch, capsys):
    from assistant.base.settings import Settings

    monkeypatch.setenv("ASSISTANT_RATE_PER_MINUTE", "12")
    assert main(["config"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = Settings.load().describe()
    assert len(lines) == 2 * len(rows) == 2 * len(Settings.model_fields)
    for (name, env, value, help_), first, second in zip(rows, lines[::2], lines[1::2], strict=True):
        assert first.split() == [name, env, *value.split()]
        assert second == " " * 17 + help_
    assert "rate_per_minute  ASSISTANT_RATE_PER_MINUTE    12" in lines
    assert "parse_timeout    ASSISTANT_PARSE_TIMEOUT      300" in lines


def test_config_refuses_a_wrong_integer_in_french(monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_PARSE_TIMEOUT", "longtemps")
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "Erreur : Réglage parse_timeout : « longtemps » n'est pas un nombre entier. "
        "Corrigez la variable ASSISTANT_PARSE_TIMEOUT."
    )


def test_interactive_requests_are_audited_as_cli(fake_settings, capsys):
    from assistant.base.settings import Settings
    from assistant.ops.audit import AuditLog

    assert main(["search", "--json", "-k", "2", "Mme Dupont : notation sociale ?"]) == 0
    capsys.readouterr()
    assert main(["assess", "--json", "Un logiciel trierait les CV des candidats à nos offres d'emploi."]) == 0
    answer = json.loads(capsys.readouterr().out)
    log = AuditLog.from_settings(Settings.load())
    try:
        rows = list(reversed(log.rows(10)))
        assert [(r["endpoint"], r["user"], r["status"]) for r in rows] == [
            ("CLI search", "cli", 200),
            ("CLI assess", "cli", 200),
        ]
        assert rows[0]["question"] == "Mme [NOM] : notation sociale ?" and len(rows[0]["refs"]) == 2
        assert rows[1]["answer_id"] == answer["answer_id"] and log.verify().ok
    finally:
        log.close()


def test_a_failed_cli_request_is_audited_with_its_status(tmp_path, monkeypatch, capsys):
    from assistant.base.settings import Settings
    from assistant.ops.audit import AuditLog

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    assert main(["search", "question"]) == 2
    log = AuditLog.from_settings(Settings.load())
    try:
        (row,) = log.rows(5)
        assert (row["endpoint"], row["user"], row["status"]) == ("CLI search", "cli", 503)
    finally:
        log.close()
