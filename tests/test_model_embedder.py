"""Real EmbeddingGemma on a small slice of the corpus (marked `model`: needs the verified weights)."""

from __future__ import annotations

import pytest

from assistant.base.errors import ModelError
from assistant.base.settings import Settings

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder():
    from assistant.search.embed import make_embedder

    settings = Settings.load(embedder="embeddinggemma")
    try:
        return make_embedder(settings)
    except ModelError as exc:
        pytest.skip(f"modèle absent : {exc}")


def test_real_embedder_finds_the_operative_provision(embedder, corpus):
    import numpy as np

    from assistant.ingest.chunk import chunk_units
    from assistant.ingest.parse_eurlex import parse_eurlex

    units = parse_eurlex(corpus / "ai-act-2024-1689.fr.html")
    wanted = {"art-5-1-c", "art-5-1-f", "art-99-3", "art-50-1", "art-26-1", "art-4", "annex-iii-5-a", "art-3-4"}
    chunks = [c for c in chunk_units(units, version="v") if c.ref in wanted]
    assert {c.ref for c in chunks} == wanted
    vecs = embedder.embed_documents([c.index_text for c in chunks])
    assert vecs.shape == (len(chunks), 768)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    probes = {
        "Quelle amende pour une pratique d'IA interdite ?": "art-99-3",
        "Peut-on détecter les émotions des agents sur leur lieu de travail ?": "art-5-1-f",
        "Un outil qui décide de l'attribution des aides sociales est-il à haut risque ?": "annex-iii-5-a",
        "Qu'est-ce qu'un déployeur ?": "art-3-4",
    }
    for question, ref in probes.items():
        scores = vecs @ embedder.embed_query(question)
        assert chunks[int(np.argmax(scores))].ref == ref, question


def test_real_index_build_and_search_on_a_small_document(tmp_path, embedder):
    from assistant.search.index import build_index, load_index
    from assistant.search.retrieve import Retriever

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(
        "Les agents du Département suivent une formation à l'IA avant tout usage.\n\n"
        "Les données des usagers restent hébergées sur les serveurs du Département.\n\n"
        "Le référent IA valide chaque expérimentation.\n",
        encoding="utf-8",
    )
    from assistant.ingest.corpus import sha256_file

    manifest = tmp_path / "sources.toml"
    manifest.write_text(
        f'[[document]]\ndoc_id = "note"\ntitle = "Note"\nlang = "fr"\nkind = "text"\nfile = "note.txt"\n'
        f'sha256 = "{sha256_file(corpus / "note.txt")}"\nversion = "1"\ndate = "2026-01-01"\n',
        encoding="utf-8",
    )
    report = build_index(
        manifest_path=manifest,
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        embedder_factory=lambda: embedder,
        embedder_name=embedder.name,
    )
    assert report.chunks >= 1 and report.embedded == report.chunks
    hits = Retriever(load_index(tmp_path / "index"), embedder).search("Où sont stockées les données ?", 1).hits
    assert hits and "hébergées" in hits[0].chunk.text
