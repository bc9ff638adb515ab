"""Quiz items: validation by code, generation from the indexed corpus (scripted LLM), the bank, the CLI."""

from __future__ import annotations

import json
import re
import threading

import pytest

from assistant.backends.fake import ScriptedGenerator
from assistant.search.index import load_index
from assistant.training.quiz import TOPIC_BY_SLUG, Item, dedupe, supported, topic_slug, validate
from assistant.training.quizbank import Bank
from assistant.training.quizgen import Builder, check_explanation, check_question, generate, phrase

QUOTE = (
    "6. Les déployeurs de systèmes d’IA à haut risque assurent la tenue des journaux générés automatiquement par ce "
    "système d’IA à haut risque […] d’au moins six mois, sauf disposition contraire dans le droit de l’Union."
)
LABEL = "Règlement (UE) 2024/1689, article 26, paragraphe 6"


def make_item(options=("six mois", "trois mois", "douze mois"), answer=0, quote=QUOTE, **kw) -> Item:
    base = dict(
        topic="obligations-deployeur",
        level="confirmé",
        kind="cloze",
        question="Pendant combien de temps au moins les déployeurs conservent-ils les journaux ?",
        options=list(options),
        answer=answer,
        explanation="Les journaux sont tenus au moins six mois.",
        citation={"doc_id": "ai-act", "ref": "art-26-6", "label": LABEL, "page": 68, "lang": "fr", "quote": quote},
        evidence=f"{LABEL}\n{quote}",
    )
    base.update(kw)
    return Item(**base)


# ---------------------------------------------------------------------- support and validation


def test_support_figures_dates_and_words():
    assert supported("six mois", QUOTE) and supported("6 mois", QUOTE)
    assert not supported("trois mois", QUOTE)
    english = "(i) 2 December 2027 as regards AI systems classified as high-risk pursuant to Article 6(2)"
    assert supported("2 décembre 2027", english)
    assert not supported("2 août 2028", english) and not supported("2 décembre 2026", english)
    assert supported("1er août 2024", "entre en vigueur on 1 August 2024") and not supported(
        "1er août 2024", "2 août 2024"
    )
    assert supported("Pratique interdite (article 5)", "article 5 — Pratiques interdites en matière d’IA\n…")
    assert not supported("Système à haut risque (annexe III)", "article 5 — Pratiques interdites en matière d’IA")


def test_valid_item_passes():
    assert validate(make_item(), "xx " + QUOTE + " yy") == []


def test_unsupported_answer_is_rejected():
    reasons = validate(make_item(options=("trois mois", "six mois", "douze mois"), answer=0))
    assert "la bonne réponse n'est pas étayée par le passage cité" in reasons
    assert any("distracteur « six mois »" in r for r in reasons)  # the true one, offered as a distractor


def test_supported_distractor_item_without_source_duplicates_and_giveaway_are_rejected():
    assert any("distracteur" in r for r in validate(make_item(options=("six mois", "6 mois", "douze mois"))))
    assert validate(make_item(citation={})) == ["aucune source citée"]
    assert validate(make_item(citation={"doc_id": "ai-act", "ref": "art-26-6", "label": LABEL, "quote": "  "}))
    assert "options en double" in validate(make_item(options=("six mois", "trois mois", "Trois mois.")))
    assert "il faut 3 ou 4 options" in validate(make_item(options=("six mois", "trois mois")))
    giveaway = make_item(question="Les journaux sont-ils conservés six mois ou plus ?")
    assert "la question contient la réponse" in validate(giveaway)
    # a quote that is not in the passage it claims to come from
    assert "la citation n'est pas un extrait exact du passage" in validate(make_item(), "un autre texte")


def test_dedupe_on_normalised_text():
    a, b = (
        make_item(),
        make_item(question="Pendant combien de temps au moins les DÉPLOYEURS conservent-ils les journaux ?"),
    )
    kept, dropped = dedupe([a, b, make_item(options=("six mois", "dix jours", "un an"))])
    assert len(kept) == 1 and dropped == 2


def test_topic_names():
    assert topic_slug("IA frugale") == "frugalite"
    assert topic_slug("pratiques-interdites") == "pratiques-interdites"
    assert topic_slug("Calendrier d'application et modifications 2026") == "calendrier"
    assert topic_slug("cuisine") is None


# ---------------------------------------------------------------------- generation on the corpus


@pytest.fixture(scope="module")
def builder(fake_index_dir):
    index = load_index(fake_index_dir)
    return Builder(index.chunks, corpus_version=index.corpus_version)


def test_every_topic_yields_valid_items_with_exact_quotes(builder):
    items, report = generate(builder, list(TOPIC_BY_SLUG), 3)
    by_key = {(c.doc_id, c.ref): c for c in builder.chunks}
    assert set(report.per_topic) == set(TOPIC_BY_SLUG) and report.accepted == len(items) >= 3 * len(TOPIC_BY_SLUG)
    for it in items:
        assert validate(it) == []
        quote = it.citation["quote"]
        assert any(quote in c.text for c in builder.chunks if c.doc_id == it.citation["doc_id"])
        assert it.correct in it.options and 3 <= len(it.options) <= 4
    # categories come from the provision cited, not from wording
    cats = [it for it in items if it.kind == "category"]
    assert cats
    for it in cats:
        ref = it.citation["ref"]
        expected = (
            "Pratique interdite"
            if ref.startswith("art-5-")
            else "haut risque"
            if "annex-iii" in ref
            else "transparence"
        )
        assert expected in it.correct, (ref, it.correct)
    assert by_key  # the index is the real corpus


def test_amended_provisions_give_no_figure_items_and_carry_a_warning(builder):
    items, _ = generate(builder, ["calendrier"], 40)
    for it in items:
        chunk_amended = it.citation.get("amended_by")
        if chunk_amended:
            assert it.kind != "cloze"
            assert "modifiée par le règlement (UE) 2026/1744" in it.explanation


def test_model_phrasing_kept_only_when_checked(builder):
    cand = next(c for c in builder.candidates("pratiques-interdites") if c.item.citation["ref"] == "art-99-3")
    it = cand.item
    bad = json.dumps({"question": f"Est-ce {it.correct} ou 99 ans ?", "explication": "Parce que 42 000 EUR."})
    good_q = "Quel montant maximal prévoit ce passage pour ces amendes administratives ?"
    good_x = f"Le passage fixe des amendes administratives pouvant aller jusqu’à {it.correct}."
    gen = ScriptedGenerator([bad, json.dumps({"question": good_q, "explication": good_x}, ensure_ascii=False)])
    assert phrase(gen, cand) == (None, None)  # answer given away, invented figures: refused
    assert phrase(gen, cand) == (good_q, good_x)
    assert gen.history[0]["schema"]["required"] == ["question", "explication"]
    assert it.correct in gen.history[0]["messages"][1]["content"]  # the model is told the answer, never asked for it
    cat = next(c for c in builder.candidates("pratiques-interdites") if c.item.kind == "category").item
    assert not check_question("Ce système d'IA est-il une pratique interdite par le règlement ?", cat)
    assert not check_explanation("Ce système relève du haut risque car il exploite les vulnérabilités.", cat)
    src = next(c for c in builder.candidates("charte") if c.item.kind == "source").item
    assert not check_question("Cet engagement relève-t-il du défi 3 de la charte ?", src)
    # a distractor named in the explanation is refused too
    wrong = next(o for o in it.options if o != it.correct)
    assert not check_explanation(f"Les amendes administratives peuvent aller jusqu’à {wrong}.", it)


def test_junk_model_output_falls_back_to_template(builder):
    gen = ScriptedGenerator(["pas du json"] * 5)
    items, report = generate(builder, ["charte"], 2, generator=lambda: gen)
    assert report.model_calls >= 2 and report.model_kept == 0
    assert all(it.phrased_by == "gabarit" and validate(it) == [] for it in items)


# ---------------------------------------------------------------------- bank


def test_distractor_words_are_never_taken_from_web_addresses(builder):
    """The charter's reference list has URLs (« …/office-et-delegations/… »): their fragments are no
    French words and must never be offered as options."""
    from assistant.training.quizgen import _URL

    outside = " ".join(_URL.sub(" ", c.text) for c in builder.chunks).lower()
    inside = " ".join(m.group(0) for c in builder.chunks for m in _URL.finditer(c.text)).lower()
    assert "delegations" in inside  # the corpus does have such a URL
    words = [w for kind, pool in builder.pools().items() if kind.startswith("mot:") for w in pool]
    assert words and all(re.search(rf"\b{re.escape(w.lower())}\b", outside) for w in words)


def test_bank_adds_dedupes_draws_mixed_and_never_loses_items(tmp_path, builder):
    bank = Bank(tmp_path / "training" / "quiz-bank.jsonl")
    items, _ = generate(builder, ["pratiques-interdites", "charte", "calendrier"], 4)
    assert bank.add(items) == len(items)
    assert bank.add(items) == 0  # duplicates not added again
    bad = make_item(options=("trois mois", "six mois", "douze mois"))
    assert bank.add([bad]) == 0  # invalid items never enter
    # a damaged line is skipped on reading and kept on writing
    with bank.path.open("a", encoding="utf-8") as f:
        f.write("{pas du json\n")
    more, _ = generate(builder, ["frugalite"], 2)
    assert bank.add(more) == len(more)
    text = bank.path.read_text(encoding="utf-8")
    assert "{pas du json" in text and len(bank.items()) == len(items) + len(more)
    drawn = bank.draw(["pratiques-interdites", "charte"], 6, seed=1)
    assert len(drawn) == 6 and {it.topic for it in drawn} == {"pratiques-interdites", "charte"}
    assert len({it.id for it in drawn}) == 6
    assert bank.draw(["charte"], 50, level="débutant") and all(
        it.level == "débutant" for it in bank.draw([], 50, level="débutant")
    )
    assert bank.stats()["items"] == len(items) + len(more)


def test_bank_concurrent_adds_keep_everything(tmp_path, builder):
    bank = Bank(tmp_path / "bank.jsonl")
    items, _ = generate(builder, list(TOPIC_BY_SLUG), 2)
    halves = [items[::2], items[1::2]]
    threads = [threading.Thread(target=bank.add, args=(h,)) for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(bank.items()) == len(items)


def test_bank_draw_revalidates_hand_edited_items(tmp_path, builder):
    bank = Bank(tmp_path / "bank.jsonl")
    items, _ = generate(builder, ["charte"], 2)
    bank.add(items)
    rows = [json.loads(x) for x in bank.path.read_text(encoding="utf-8").splitlines()]
    rows[0]["answer"] = (rows[0]["answer"] + 1) % len(rows[0]["options"])  # now points to a distractor
    bank.path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert {it.id for it in bank.draw(["charte"], 10)} == {rows[1]["id"]}


# ---------------------------------------------------------------------- CLI


def test_cli_bank_then_quiz_json(fake_settings, monkeypatch, tmp_path, capsys):
    from assistant.cli.main import main

    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    assert main(["training", "bank", "--topics", "charte,calendrier", "--per-topic", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == 6 and report["added"] == 6 and "rejected_share" in report
    assert report["bank"]["per_topic"]["charte"] == 3
    assert main(["quiz", "--topic", "charte", "--n", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ai_generated"] is True and len(out["items"]) == 3 and out["notes"] == []
    assert all(i["topic"] == "charte" and i["citation"]["quote"] for i in out["items"])
    assert main(["quiz", "--topic", "cuisine"]) == 2
    assert "Thème inconnu" in capsys.readouterr().err


def test_cli_bank_interrupted_keeps_the_items_already_validated(fake_settings, monkeypatch, tmp_path):
    """A generation run killed midway (here: interrupted after the 2nd accepted item) keeps what it made."""
    from assistant.cli import training as cli_training
    from assistant.cli.main import main
    from assistant.training.quizbank import Bank, bank_path

    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    accepted = []

    def progress(msg: str) -> None:
        if msg.startswith("["):  # "[topic] k/n kind ref (wording)": one per accepted item
            accepted.append(msg)
            if len(accepted) == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(cli_training, "err", progress)
    rc = main(["training", "bank", "--topics", "charte,calendrier", "--per-topic", "3", "--no-model"])
    assert rc == 130  # "Interrompu."
    from assistant.base.settings import Settings

    assert Bank(bank_path(Settings.load())).stats()["items"] == 2


def test_cli_quiz_text_has_answer_key_and_label(fake_settings, monkeypatch, tmp_path, capsys):
    from assistant.cli.main import main

    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    assert main(["quiz", "--topic", "pratiques interdites", "--n", "2", "--level", "débutant"]) == 0
    out = capsys.readouterr().out
    assert "Corrigé" in out and "Source : " in out and "générée par une IA" in out
    assert "construite(s) à la volée" in out  # empty bank: said so


def test_model_calls_stop_at_the_deadline_and_topics_take_turns(builder):
    import time

    gen = ScriptedGenerator()
    items, report = generate(builder, ["charte", "calendrier"], 3, generator=lambda: gen, deadline=time.monotonic() - 1)
    assert len(items) == 6 and report.model_calls == 0 and gen.history == [] and report.model_stopped
    assert all(it.phrased_by == "gabarit" for it in items)
    items, report = generate(builder, ["charte", "calendrier", "frugalite"], 2, max_candidates=2)
    assert [it.topic for it in items[:3]] == ["charte", "calendrier", "frugalite"]
