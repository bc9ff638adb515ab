"""Enum-object decoding (backends/choice.py) against a toy character-level "model"."""

from __future__ import annotations

import json

import pytest

from assistant.backends.choice import decode_enum_object, enum_fields


class ToyModel:
    """Characters are tokens. The model "wants" to write `target`: the next character of the target
    after what was fed scores 1, every other character 0 (a model that has read the description)."""

    def __init__(self, target: str):
        self.target = target
        self.fed: list[int] = []
        self.feeds = 0

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def feed(self, tokens: list[int]) -> None:
        self.feeds += 1
        self.fed += tokens

    def logits(self) -> list[float]:
        text = "".join(map(chr, self.fed))
        scores = [0.0] * 0x3000
        if self.target.startswith(text) and len(text) < len(self.target):
            scores[ord(self.target[len(text)])] = 1.0
        return scores


FIELDS = [
    ("systeme_ia", ["oui", "non", "inconnu"]),
    ("decision_automatisee", ["aucune", "aide", "totale"]),
    ("biometrie", ["aucune", "verification", "identification", "categorisation"]),
    ("domaine", ["emploi_rh", "education", "interne", "inconnu"]),
]


@pytest.mark.parametrize(
    "wanted",
    [
        {"systeme_ia": "oui", "decision_automatisee": "aide", "biometrie": "identification", "domaine": "interne"},
        {"systeme_ia": "inconnu", "decision_automatisee": "aucune", "biometrie": "aucune", "domaine": "inconnu"},
    ],
)
def test_the_model_s_preferred_values_are_decoded(wanted):
    model = ToyModel(json.dumps(wanted, ensure_ascii=False))
    text, evaluated = decode_enum_object(FIELDS, tokenize=model.tokenize, feed=model.feed, logits=model.logits)
    assert json.loads(text) == wanted
    # one batch per choice point, not one per token: the toy tokenizer splits the values only where they
    # differ ("aucune"/"aide" share "a"), so at most two feeds per field here
    assert model.feeds <= 2 * len(FIELDS) < evaluated


def test_the_first_choice_of_each_field_is_recorded_with_every_value_s_score():
    wanted = {"systeme_ia": "non", "decision_automatisee": "totale", "biometrie": "aucune", "domaine": "education"}
    model = ToyModel(json.dumps(wanted, ensure_ascii=False))
    scores: dict = {}
    decode_enum_object(FIELDS, tokenize=model.tokenize, feed=model.feed, logits=model.logits, scores_out=scores)
    assert list(scores) == [n for n, _ in FIELDS]
    for name, values in FIELDS:
        assert set(scores[name]) == set(values)
        assert scores[name][wanted[name]] == max(scores[name].values()) == 1.0
    # "aucune" and "aide" share their first token: one score for both at the field's first choice
    assert scores["decision_automatisee"]["aucune"] == scores["decision_automatisee"]["aide"] == 0.0


def test_a_value_that_prefixes_another_is_ended_by_the_closing_quote():
    fields = [("x", ["non", "non_precise"]), ("y", ["a", "b"])]
    for wanted in ({"x": "non", "y": "b"}, {"x": "non_precise", "y": "a"}):
        model = ToyModel(json.dumps(wanted))
        text, _ = decode_enum_object(fields, tokenize=model.tokenize, feed=model.feed, logits=model.logits)
        assert json.loads(text) == wanted


def test_only_allowed_values_come_out_whatever_the_model_prefers():
    model = ToyModel('{"systeme_ia": "peut-etre", "decision_automatisee": "xyz"')
    text, _ = decode_enum_object(FIELDS, tokenize=model.tokenize, feed=model.feed, logits=model.logits)
    out = json.loads(text)
    assert list(out) == [n for n, _ in FIELDS]
    assert all(out[n] in values for n, values in FIELDS)


def test_only_enum_objects_take_the_fast_path():
    from assistant.answer.compose import SCHEMA
    from assistant.assess.assessor import fact_schema

    fields = enum_fields(fact_schema())
    assert fields and all(values for _, values in fields)
    assert enum_fields(SCHEMA) is None  # free text answer: token-by-token generation
    assert (
        enum_fields({"type": "object", "properties": {"a": {"type": "string", "enum": ["x"]}}}) is None
    )  # not required
    assert enum_fields(None) is None
