"""Crash safety of the index: builds SIGKILLed at random moments, leftovers, readers during builds.

The random-kill test is the short variant of `bench/soak_index.py` (`make soak`): a synthetic
corpus and the fake embedder, a few kills. The other tests pin each mechanism down
deterministically.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.base.errors import IndexStateError
from assistant.base.settings import PROJECT_ROOT
from assistant.search.embed import FakeEmbedder
from assistant.search.index import build_index, current_generation, load_index


def _soak_module():
    spec = importlib.util.spec_from_file_location("soak_index", PROJECT_ROOT / "bench" / "soak_index.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak_index"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


soak_index = _soak_module()


def test_random_kills_never_lose_a_document_nor_a_reader(tmp_path):
    result = soak_index.soak(kills=4, work=tmp_path, corpus="synthetic", seed=8, readers=1, log=lambda _m: None)
    assert result.tried == 4, result.summary()
    assert result.problems == [], "\n".join(result.problems)
    assert result.survived == result.tried
    assert result.documents_lost == 0
    assert result.reader_failures == 0 and result.reader_loads > 0


@pytest.fixture()
def synthetic(tmp_path):
    variants = soak_index.synthetic_corpus(tmp_path / "corpus", docs=3, paragraphs=40)
    return tmp_path / "corpus", variants


def _build(corpus: Path, manifest: Path, index_dir: Path, **kw):
    return build_index(
        manifest_path=manifest,
        corpus_dir=corpus,
        index_dir=index_dir,
        embedder_factory=FakeEmbedder,
        embedder_name=FakeEmbedder().name,
        **kw,
    )


def test_leftovers_of_killed_builds_are_removed_and_the_replaced_generation_kept(tmp_path, synthetic):
    corpus, (a, b) = synthetic
    index_dir = tmp_path / "index"
    first = _build(corpus, a.manifest, index_dir)
    # What a build killed at various moments leaves behind.
    (index_dir / ".tmp-gen-20000101T000000000000-dead-4242").mkdir()
    (index_dir / ".tmp-gen-20000101T000000000000-dead-4242" / "chunks.jsonl").write_text("{")
    (index_dir / ".del-gen-19990101T000000000000-old").mkdir()
    (index_dir / ".CURRENT.4242.tmp").write_text("gen-half")
    (index_dir / "cache" / ".emb-0123456789ab.npz.4242.tmp.npz").write_bytes(b"PK\x03\x04half")
    (index_dir / "cache" / "pages-0123456789abcdef.tmp").write_text("[")
    orphan = index_dir / "gen-20000101T000000000000-orphan0"  # written, never put in service
    orphan.mkdir()
    second = _build(corpus, b.manifest, index_dir)
    assert current_generation(index_dir) == second.generation
    assert sorted(p.name for p in index_dir.glob("gen-*")) == sorted([first.generation, second.generation])
    assert soak_index.leftovers(index_dir) == []
    assert not list(index_dir.glob(".del-*"))
    idx = load_index(index_dir)
    assert idx.dense.ntotal == len(idx.chunks) == second.chunks


def test_damaged_embedding_cache_only_costs_time(tmp_path, synthetic):
    corpus, (a, _b) = synthetic
    index_dir = tmp_path / "index"
    first = _build(corpus, a.manifest, index_dir)
    reference = load_index(index_dir)
    (cache,) = (index_dir / "cache").glob("emb-*.npz")
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 2])  # a half-written cache (e.g. lost on power failure)
    again = _build(corpus, a.manifest, index_dir, force=True)
    assert again.embedded == first.chunks  # recomputed, not crashed
    idx = load_index(index_dir)
    assert np.allclose(idx.dense.reconstruct_n(0, idx.dense.ntotal), reference.dense.reconstruct_n(0, first.chunks))
    np.savez(cache, keys=np.array(["a", "b"]), vecs=np.zeros((3, 4), np.float32))  # inconsistent arrays
    assert _build(corpus, a.manifest, index_dir, force=True).embedded == first.chunks


def test_embeddings_are_checkpointed_while_a_build_runs(tmp_path, synthetic, monkeypatch):
    """A build that dies mid-embedding leaves the finished blocks in the cache for the restart."""
    import assistant.search.index as index_mod

    corpus, (a, _b) = synthetic
    monkeypatch.setattr(index_mod, "_CHECKPOINT_BATCHES", 1)

    class DyingEmbedder(FakeEmbedder):
        batch_size = 8
        calls = 0

        def embed_documents(self, texts, progress=None):
            DyingEmbedder.calls += 1
            if DyingEmbedder.calls == 3:
                raise KeyboardInterrupt  # the build is stopped on its third block
            return super().embed_documents(texts, progress)

    with pytest.raises(KeyboardInterrupt):
        build_index(
            manifest_path=a.manifest,
            corpus_dir=corpus,
            index_dir=tmp_path / "index",
            embedder_factory=DyingEmbedder,
            embedder_name=FakeEmbedder().name,
        )
    assert current_generation(tmp_path / "index") is None
    report = _build(corpus, a.manifest, tmp_path / "index")
    assert report.embedded == report.chunks - 2 * 8  # two blocks of 8 were saved before the stop


def test_one_build_at_a_time(tmp_path, synthetic):
    corpus, (a, _b) = synthetic
    index_dir = tmp_path / "index"
    first = _build(corpus, a.manifest, index_dir)
    with (index_dir / ".build.lock").open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(IndexStateError, match="déjà en cours"):
            _build(corpus, a.manifest, index_dir, force=True)
        assert load_index(index_dir).path.name == first.generation  # readers are not blocked
    assert _build(corpus, a.manifest, index_dir, force=True).generation != first.generation


def test_a_half_present_document_is_detected(tmp_path, synthetic):
    corpus, (a, _b) = synthetic
    index_dir = tmp_path / "index"
    report = _build(corpus, a.manifest, index_dir)
    chunks = index_dir / report.generation / "chunks.jsonl"
    rows = [json.loads(line) for line in chunks.read_text(encoding="utf-8").splitlines()]
    rows[-1]["doc_id"] = rows[0]["doc_id"]  # same row count, but one document lost a chunk
    chunks.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(IndexStateError, match="incohérent"):
        load_index(index_dir)


def test_a_reader_that_races_a_switch_reads_the_new_generation(tmp_path, synthetic, monkeypatch):
    import assistant.search.index as index_mod

    corpus, (a, b) = synthetic
    index_dir = tmp_path / "index"
    _build(corpus, a.manifest, index_dir)
    newer = _build(corpus, b.manifest, index_dir)
    real = index_mod._load_generation
    calls = []

    def racing(gen: Path):
        calls.append(gen.name)
        if len(calls) == 1:  # a build switched CURRENT and collected this generation meanwhile
            raise IndexStateError("illisible")
        return real(gen)

    monkeypatch.setattr(index_mod, "_load_generation", racing)
    monkeypatch.setattr(index_mod, "current_generation", _switching(index_dir, newer.generation))
    assert index_mod.load_index(index_dir).path.name == newer.generation
    assert len(calls) == 2


def _switching(index_dir: Path, newer: str):
    """current_generation() that answers an older name first, then the new one."""
    answers = iter(["gen-older"])

    def current(_dir: Path) -> str | None:
        return next(answers, newer)

    return current
