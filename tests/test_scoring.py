from __future__ import annotations

from assistant.evaluation.evaluate import first_gold_rank, gold_matches, keywords_hold, percentile


def test_gold_matching_follows_product_rules():
    assert gold_matches({"doc": "ai-act", "ref": "art-5"}, "ai-act", "art-5-1-c")
    assert gold_matches({"doc": "ai-act", "ref": "art-5-1"}, "ai-act", "art-5-1")
    assert not gold_matches({"doc": "ai-act", "ref": "art-5"}, "ai-act", "art-50-1")  # prefix needs the hyphen
    assert not gold_matches({"doc": "ai-act", "ref": "art-5-1-c"}, "ai-act", "art-5-1")  # coarser does not count
    assert gold_matches({"doc": "ai-act"}, "ai-act-2026-1744", "art-1-5")  # doc prefix rule
    assert not gold_matches({"doc": "charte", "ref": "defi-6"}, "ai-act", "defi-6")


def test_keyword_groups():
    answer = "L'amende peut aller jusqu'à 35 000 000 EUR ou 7 % du chiffre d'affaires."
    assert keywords_hold([["35 000 000", "35 millions"], ["7 %", "7%"]], answer)
    assert not keywords_hold([["35 000 000"], ["15 000 000"]], answer)
    assert keywords_hold([["INTERDITE", "interdit"]], "Cette pratique est interdite.")
    assert keywords_hold([["securite"]], "La sécurité des données")  # accents stripped


def test_first_gold_rank_and_percentile():
    results = [{"rank": 1, "doc_id": "ai-act", "ref": "art-26-1"}, {"rank": 2, "doc_id": "ai-act", "ref": "art-99-3"}]
    assert first_gold_rank([{"doc": "ai-act", "ref": "art-99"}], results) == 2
    assert first_gold_rank([{"doc": "charte"}], results) is None
    assert percentile([1, 2, 3, 4, 100], 50) == 3


def test_missing_keyword_groups_are_listed():
    from assistant.evaluation.evaluate import missing_keywords

    answer = "Le déployeur informe les personnes concernées."
    assert missing_keywords([["déployeur"], ["informe", "information"], ["amende"]], answer) == [["amende"]]
    assert missing_keywords([], answer) == []


def test_designations_do_not_count_as_unsupported_figures():
    from assistant.evaluation.evaluate import citation_support

    quote = "Les pratiques d'IA suivantes sont interdites : la notation sociale des personnes physiques"
    answer = "Pratiques interdites (Règlement (UE) 2024/1689, article 5, paragraphe 1, point c), p. 51) [1]."
    resp = {"answer": answer, "citations": [{"n": 1, "doc_id": "ai-act", "ref": "art-5-1-c", "quote": quote}]}
    assert citation_support(resp) == {1: True}
