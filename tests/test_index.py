from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.base.errors import CorpusError, IndexStateError
from assistant.base.settings import PROJECT_ROOT
from assistant.base.units import Chunk
from assistant.search.embed import FakeEmbedder
from assistant.search.index import build_index, current_generation, link_amendments, load_index

MANIFEST = PROJECT_ROOT / "corpus" / "sources.toml"


class CountingEmbedder(FakeEmbedder):
    calls = 0

    def embed_documents(self, texts, progress=None):
        CountingEmbedder.calls += len(texts)
        return super().embed_documents(texts, progress)


def _build(index_dir: Path, corpus: Path, **kw):
    return build_index(
        manifest_path=kw.pop("manifest", MANIFEST),
        corpus_dir=corpus,
        index_dir=index_dir,
        embedder_factory=CountingEmbedder,
        embedder_name=FakeEmbedder().name,
        only=kw.pop("only", ["ai-act"]),
        **kw,
    )


def test_build_then_unchanged_then_forced_rebuild_reuses_embeddings(tmp_path, corpus):
    CountingEmbedder.calls = 0
    first = _build(tmp_path, corpus)
    assert first.chunks > 1000 and first.embedded == first.chunks
    assert CountingEmbedder.calls == first.chunks
    again = _build(tmp_path, corpus)
    assert again.unchanged and again.generation == first.generation
    forced = _build(tmp_path, corpus, force=True)
    assert not forced.unchanged and forced.embedded == 0
    assert CountingEmbedder.calls == first.chunks  # no second embedding pass
    idx = load_index(tmp_path)
    assert idx.path.name == forced.generation
    assert idx.dense.ntotal == len(idx.chunks) == forced.chunks
    manifest = json.loads((idx.path / "manifest.json").read_text())
    assert manifest["chunker_version"] and manifest["embedder"] == FakeEmbedder().name
    assert manifest["documents"][0]["doc_id"] == "ai-act"


def test_failed_build_keeps_the_generation_in_service(tmp_path, corpus):
    first = _build(tmp_path, corpus)
    broken = tmp_path / "corpus"
    shutil.copytree(corpus, broken)
    (broken / "ai-act-2024-1689.fr.html").chmod(0o644)
    (broken / "ai-act-2024-1689.fr.html").write_text("<html>abîmé</html>", encoding="utf-8")
    with pytest.raises(CorpusError, match="a changé"):
        _build(tmp_path, broken, force=True)
    assert current_generation(tmp_path) == first.generation
    assert load_index(tmp_path).dense.ntotal == first.chunks
    assert not list(tmp_path.glob(".tmp-*"))


def test_missing_or_inconsistent_index_says_what_to_run(tmp_path, corpus):
    with pytest.raises(IndexStateError, match="assistant index build"):
        load_index(tmp_path)
    first = _build(tmp_path, corpus)
    lines = (tmp_path / first.generation / "chunks.jsonl").read_text().splitlines()
    (tmp_path / first.generation / "chunks.jsonl").write_text("\n".join(lines[:-5]) + "\n")
    with pytest.raises(IndexStateError, match="incohérent"):
        load_index(tmp_path)


def test_generations_are_garbage_collected(tmp_path, corpus):
    for _ in range(4):
        _build(tmp_path, corpus, force=True)
    assert len(list(tmp_path.glob("gen-*"))) <= 2


def _chunk(doc, ref, kind="paragraph", amends=()):
    return Chunk(doc, ref, ref, "", "t", "", "fr", "v", kind=kind, amends=amends)


def test_link_amendments_flags_amended_provision_and_its_ancestors_only():
    from assistant.ingest.corpus import Document

    docs = [
        Document("ai-act", "t", "t", "fr", "eurlex-html", "f", "", "v", "d"),
        Document("amend", "t", "t", "en", "formex-xml", "f", "", "v", "d", amends="ai-act"),
    ]
    chunks = [
        _chunk("ai-act", "art-4", "article"),
        _chunk("ai-act", "art-10", "article"),
        _chunk("ai-act", "art-10-5"),
        _chunk("ai-act", "art-10-4"),
        _chunk("ai-act", "art-5-1"),
        _chunk("ai-act", "art-5-1-a", "point"),
        _chunk("amend", "art-1-5", "amending-point", ("art-4",)),
        _chunk("amend", "art-1-9-b", "amending-subpoint", ("art-10-5",)),
        _chunk("amend", "art-1-7-a", "amending-subpoint", ("art-5-1-ba",)),
    ]
    out = {c.ref: c.amended_by for c in link_amendments(chunks, docs) if c.doc_id == "ai-act"}
    assert out["art-4"] == ("amend:art-1-5",)
    assert out["art-10-5"] == ("amend:art-1-9-b",)
    assert out["art-10"] == ("amend:art-1-9-b",)
    assert out["art-10-4"] == ()
    assert out["art-5-1"] == ("amend:art-1-7-a",)
    assert out["art-5-1-a"] == ()
