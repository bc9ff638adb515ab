"""Build and load the persistent hybrid index (FAISS dense + French BM25), by generations.

Layout of the index directory:
    CURRENT                  name of the generation in service (replaced atomically)
    gen-<stamp>-<hash>/      chunks.jsonl, dense.faiss, bm25/, manifest.json
    cache/                   embeddings keyed by chunk-text hash, PDF page texts

A build writes a new generation beside the one in service and only then switches
CURRENT, so readers never see a half-built index and a failed build changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from assistant.chunk import CHUNKER_VERSION, chunk_units
from assistant.corpus import Document, document_hash, load_manifest, load_units
from assistant.embed import Embedder
from assistant.errors import IndexStateError
from assistant.lexical import BM25Index
from assistant.units import Chunk, Span, Unit

INDEX_FORMAT = 1
KEEP_GENERATIONS = 2


@dataclass
class Index:
    path: Path
    chunks: list[Chunk]
    dense: object  # faiss.Index
    bm25: BM25Index
    manifest: dict

    @property
    def corpus_version(self) -> str:
        return str(self.manifest.get("corpus_version", ""))

    @property
    def embedder_name(self) -> str:
        return str(self.manifest.get("embedder", ""))

    def chunk_by_key(self, doc_id: str, ref: str) -> Chunk | None:
        if not hasattr(self, "_by_key"):
            self._by_key = {}
            for c in self.chunks:
                self._by_key.setdefault((c.doc_id, c.ref), c)
        return self._by_key.get((doc_id, ref))

    def children(self, doc_id: str, parent_ref: str) -> list[Chunk]:
        """Chunks one level below `parent_ref` (e.g. the points of a paragraph), in document order."""
        if not hasattr(self, "_children"):
            self._children: dict[tuple[str, str], list[Chunk]] = {}
            for c in self.chunks:
                if "-" in c.ref:
                    self._children.setdefault((c.doc_id, c.ref.rsplit("-", 1)[0]), []).append(c)
        return self._children.get((doc_id, parent_ref), [])

    def dense_search(self, vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self.chunks))
        scores, ids = self.dense.search(vec.reshape(1, -1).astype(np.float32), k)  # type: ignore[attr-defined]
        return scores[0], ids[0]


# --------------------------------------------------------------------------- build


@dataclass(frozen=True)
class BuildReport:
    generation: str
    chunks: int
    embedded: int  # chunks whose vectors had to be computed (cache misses)
    seconds: float
    unchanged: bool = False


def inputs_hash(docs: Sequence[Document], corpus_dir: Path, embedder_name: str) -> str:
    h = hashlib.sha256(f"{INDEX_FORMAT}|{CHUNKER_VERSION}|{embedder_name}".encode())
    for d in docs:
        h.update(document_hash(corpus_dir, d).encode())
    return h.hexdigest()


def build_index(
    *,
    manifest_path: Path,
    corpus_dir: Path,
    index_dir: Path,
    embedder_factory: Callable[[], Embedder],
    embedder_name: str,
    force: bool = False,
    only: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    bar: Callable[[int], Callable[[int], None]] | None = None,
    unit_filter: Callable[[Unit], bool] | None = None,
) -> BuildReport:
    """Parse, chunk, embed (with cache) and write a new generation; switch to it atomically."""
    import faiss

    t0 = time.perf_counter()
    docs = [d for d in load_manifest(manifest_path) if (d.doc_id in only if only else d.index)]
    if not docs:
        raise IndexStateError(
            "Aucun document à indexer : vérifiez corpus/sources.toml (champ index) ou l'option --doc."
        )
    key = inputs_hash(docs, corpus_dir, embedder_name) + ("-slice" if unit_filter else "")
    current = current_generation(index_dir)
    if current and not force:
        man = _read_manifest(index_dir / current)
        if man.get("inputs_hash") == key:
            return BuildReport(current, int(man.get("chunks", 0)), 0, time.perf_counter() - t0, unchanged=True)

    cache_dir = index_dir / "cache"
    chunks: list[Chunk] = []
    doc_meta = []
    for doc in docs:
        progress(f"Analyse de « {doc.doc_id} » ({doc.file})…")
        units = load_units(doc, corpus_dir, cache_dir)
        if unit_filter is not None:  # a slice of the corpus (tests, demos)
            units = [u for u in units if unit_filter(u)]
        doc_chunks = chunk_units(units, version=doc.version)
        chunks.extend(doc_chunks)
        doc_meta.append(
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "short": doc.short,
                "lang": doc.lang,
                "version": doc.version,
                "date": doc.date,
                "url": doc.url,
                "eli": doc.eli,
                "amends": doc.amends,
                "units": len(units),
                "chunks": len(doc_chunks),
                "hash": document_hash(corpus_dir, doc),
            }
        )
    chunks = link_amendments(chunks, docs)

    texts = [c.index_text for c in chunks]
    vectors, embedded = _embed_with_cache(texts, cache_dir, embedder_name, embedder_factory, progress, bar)
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    bm25 = BM25Index.build(texts)

    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() // 1000 % 1_000_000:06d}"
    name = f"gen-{stamp}-{key[:8]}"
    while (index_dir / name).exists():  # two builds in the same microsecond: never overwrite a generation
        name += "x"
    tmp = index_dir / f".tmp-{name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(_chunk_to_json(c), ensure_ascii=False) + "\n")
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    bm25.save(tmp / "bm25")
    corpus_version = "corpus-" + hashlib.sha256("".join(d["hash"] for d in doc_meta).encode()).hexdigest()[:10]
    manifest = {
        "format": INDEX_FORMAT,
        "generation": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs_hash": key,
        "corpus_version": corpus_version,
        "chunker_version": CHUNKER_VERSION,
        "embedder": embedder_name,
        "dim": int(vectors.shape[1]),
        "chunks": len(chunks),
        "documents": doc_meta,
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_dir(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    _write_current(index_dir, name)
    _collect_garbage(index_dir, keep=name)
    return BuildReport(name, len(chunks), embedded, time.perf_counter() - t0)


def link_amendments(chunks: list[Chunk], docs: Sequence[Document]) -> list[Chunk]:
    """Flag chunks of an amended act with the amending provisions (`amended_by`)."""
    targets: dict[str, list[tuple[str, str]]] = {}  # amended doc_id -> [(amended ref, "doc:ref")]
    by_id = {d.doc_id: d for d in docs}
    for c in chunks:
        target = by_id[c.doc_id].amends if c.doc_id in by_id else ""
        for ref in c.amends:
            if target:
                targets.setdefault(target, []).append((ref, f"{c.doc_id}:{c.ref}"))
    if not targets:
        return chunks
    out = []
    for c in chunks:
        links = [
            src
            for ref, src in targets.get(c.doc_id, [])
            if c.ref == ref
            or c.ref.startswith(ref + "-")
            or (ref.startswith(c.ref + "-") and c.kind in ("article", "paragraph"))
        ]
        out.append(replace(c, amended_by=tuple(dict.fromkeys(links))) if links else c)
    return out


def _embed_with_cache(
    texts: list[str],
    cache_dir: Path,
    embedder_name: str,
    factory: Callable[[], Embedder],
    progress: Callable[[str], None],
    bar: Callable[[int], Callable[[int], None]] | None,
) -> tuple[np.ndarray, int]:
    cache_file = cache_dir / f"emb-{hashlib.sha256(embedder_name.encode()).hexdigest()[:12]}.npz"
    keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    cached: dict[str, np.ndarray] = {}
    if cache_file.is_file():
        try:
            with np.load(cache_file, allow_pickle=False) as z:
                cached = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
        except (OSError, ValueError, KeyError):
            cached = {}  # a damaged cache only costs time
    missing = sorted({k: i for i, k in enumerate(keys) if k not in cached}.values())
    if missing:
        progress(f"Calcul des plongements de {len(missing)} passage(s) sur {len(texts)}…")
        embedder = factory()
        tick = bar(len(missing)) if bar else None
        vecs = embedder.embed_documents([texts[i] for i in missing], progress=tick)
        for i, v in zip(missing, vecs, strict=True):
            cached[keys[i]] = v
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{cache_file.name}.{os.getpid()}.tmp.npz"
        np.savez(tmp, keys=np.array(list(cached)), vecs=np.stack(list(cached.values())).astype(np.float32))
        os.replace(tmp, cache_file)
    vectors = np.stack([cached[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 1), np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0), len(missing)


def _chunk_to_json(c: Chunk) -> dict:
    d = asdict(c)
    d["spans"] = [asdict(s) for s in c.spans]
    return d


def _chunk_from_json(d: dict) -> Chunk:
    d = dict(d)
    d["spans"] = tuple(Span(**s) for s in d.get("spans", []))
    d["amends"] = tuple(d.get("amends", ()))
    d["amended_by"] = tuple(d.get("amended_by", ()))
    return Chunk(**d)


def _fsync_dir(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            with p.open("rb") as f:
                os.fsync(f.fileno())


def _write_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f".CURRENT.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / "CURRENT")


def _collect_garbage(index_dir: Path, keep: str) -> None:
    gens = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    old = [p for p in gens if p.name != keep][: max(0, len(gens) - KEEP_GENERATIONS)]
    for p in old:
        shutil.rmtree(p, ignore_errors=True)
    for p in index_dir.glob(".tmp-gen-*"):
        shutil.rmtree(p, ignore_errors=True)


# --------------------------------------------------------------------------- load


def current_generation(index_dir: Path) -> str | None:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return name if name and (index_dir / name).is_dir() else None


def _read_manifest(gen: Path) -> dict:
    try:
        return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load_index(index_dir: Path) -> Index:
    import faiss

    name = current_generation(index_dir)
    if name is None:
        raise IndexStateError(f"Aucun index dans {index_dir} : lancez `assistant index build` (ou `make index`).")
    gen = index_dir / name
    manifest = _read_manifest(gen)
    try:
        with (gen / "chunks.jsonl").open(encoding="utf-8") as f:
            chunks = [_chunk_from_json(json.loads(line)) for line in f if line.strip()]
        dense = faiss.read_index(str(gen / "dense.faiss"))
        bm25 = BM25Index.load(gen / "bm25")
    except (OSError, ValueError, RuntimeError, TypeError, KeyError) as exc:
        raise IndexStateError(
            f"L'index {name} est illisible ({exc.__class__.__name__}) : relancez `assistant index build --force`."
        ) from None
    if dense.ntotal != len(chunks) or manifest.get("chunks") != len(chunks):
        raise IndexStateError(
            f"L'index {name} est incohérent (vecteurs ≠ passages) : relancez `assistant index build --force`."
        )
    return Index(gen, chunks, dense, bm25, manifest)


def index_status(index_dir: Path) -> dict:
    name = current_generation(index_dir)
    if name is None:
        return {"ready": False, "message": f"Aucun index dans {index_dir} : lancez `assistant index build`."}
    man = _read_manifest(index_dir / name)
    return {
        "ready": True,
        "generation": name,
        **{k: man.get(k) for k in ("created", "corpus_version", "embedder", "chunks", "documents")},
    }
