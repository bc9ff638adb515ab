"""Supply chain (issue 8): nothing pickled is ever loaded from the index directory, and the lock
pins every package it lists with hashes."""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.base.settings import PROJECT_ROOT


class _Payload:
    """Unpickling this object would create `marker`: the proof that a pickle was executed."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _pickled_npy(path: Path, marker: Path) -> None:
    arr = np.empty(1, dtype=object)
    arr[0] = _Payload(marker)
    with open(path, "wb") as f:
        np.save(f, arr, allow_pickle=True)


def test_planted_pickles_in_the_index_are_refused(fake_index_dir, tmp_path):
    from assistant.search.index import current_generation, load_index

    index_dir = tmp_path / "index"
    shutil.copytree(fake_index_dir, index_dir)
    gen = index_dir / current_generation(index_dir)
    marker = tmp_path / "pwned"
    bm25 = gen / "bm25"
    npy = sorted(bm25.glob("*.npy"))
    assert npy, "the lexical index is stored as .npy arrays"
    for path in npy:
        _pickled_npy(path, marker)
    (bm25 / "extra.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(Exception) as err:  # any refusal will do, as long as nothing ran
        load_index(index_dir)
    assert not marker.exists(), "a pickle from the index directory was executed"
    assert "pickle" in str(err.value).lower() or "index" in str(err.value).lower()


def test_planted_pickle_in_the_embedding_cache_is_ignored(corpus, tmp_path):
    from assistant.search.embed import FakeEmbedder
    from assistant.search.index import build_index

    index_dir = tmp_path / "index"
    cache = index_dir / "cache"
    cache.mkdir(parents=True)
    marker = tmp_path / "pwned"
    name = FakeEmbedder().name
    import hashlib

    cache_file = cache / f"emb-{hashlib.sha256(name.encode()).hexdigest()[:12]}.npz"
    keys = np.empty(1, dtype=object)
    keys[0] = _Payload(marker)
    with open(cache_file, "wb") as f:
        np.savez(f, keys=keys, vecs=keys)
    report = build_index(
        manifest_path=PROJECT_ROOT / "corpus" / "sources.toml",
        corpus_dir=corpus,
        index_dir=index_dir,
        embedder_factory=FakeEmbedder,
        embedder_name=name,
        unit_filter=lambda u: u.ref.startswith("art-5"),
    )
    assert report.chunks > 0 and not marker.exists()


def test_no_pickle_loading_in_the_code():
    """Loaders that can run pickles are not used on data files (np.load only with allow_pickle=False)."""
    offenders = []
    for path in (PROJECT_ROOT / "assistant").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\bpickle\.loads?\(", r"allow_pickle\s*=\s*True", r"\btorch\.load\(", r"\bjoblib\.load\("):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
        for m in re.finditer(r"np\.load\(([^)]*)\)", text):
            if "allow_pickle=False" not in m.group(1):
                offenders.append(f"{path.name}: {m.group(0)}")
    assert offenders == []


def test_lock_pins_every_package_with_hashes():
    lines = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    reqs = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(reqs) > 50
    for req in reqs:
        assert re.match(r"^[A-Za-z0-9_.\-]+==[^\s;]+", req), req  # exact pins, no URL nor local path
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", req), req
    names = {re.split(r"[=<>;\s]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}
    # installed separately by the Makefile: the CPU build of torch, the locally compiled llama.cpp wheel
    assert "torch" not in names and "llama-cpp-python" not in names
