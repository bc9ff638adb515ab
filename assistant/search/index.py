"""Build and load the persistent hybrid index (FAISS dense + French BM25), by generations.

Layout of the index directory:
    CURRENT                  name of the generation in service (replaced atomically)
    gen-<stamp>-<hash>/      chunks.jsonl, dense.faiss, bm25/, manifest.json
    cache/                   embeddings keyed by chunk-text hash, PDF page texts

A build writes a new generation beside the one in service and only then switches
CURRENT, so readers never see a half-built index and a failed build changes nothing.

Crash safety (a build may be SIGKILLed or lose power at any instant):
- one build at a time (`.build.lock`, flock: released by the kernel when its holder dies);
  the next build removes what a dead one left (`.tmp-*`, `.del-*`, temp cache files);
- files are fsynced, then their directory, before the rename that publishes them; CURRENT is
  written to a temp file, fsynced and renamed, then the index directory is fsynced;
- garbage collection keeps the new generation and the one it replaced (so readers that
  loaded it keep a consistent copy), renames others to `.del-*` before deleting them, so a
  half-deleted directory never looks like a generation;
- embeddings are checkpointed to the cache during a build, so a restart resumes the work;
- documents are parsed in a sandboxed worker (`safeparse.py`): a hostile file ends the
  build with a French error before anything is written.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.base.errors import CorpusError, IndexStateError, ParseError
from assistant.base.units import Chunk, Span, Unit
from assistant.ingest.chunk import CHUNKER_VERSION, chunk_units
from assistant.ingest.corpus import Document, document_hash, load_manifest
from assistant.search.embed import Embedder
from assistant.search.lexical import BM25Index
from assistant.text.citations import official_url

if TYPE_CHECKING:
    from assistant.ingest.safeparse import Limits

INDEX_FORMAT = 1
KEEP_GENERATIONS = 2  # the generation in service and the one it replaced
_CHECKPOINT_BATCHES = 32  # embedding batches between two saves of the embedding cache


class PassageIndex(Protocol):
    """What answers and assessments read of an index: the real `Index`, or a test's stub."""

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    @property
    def corpus_version(self) -> str: ...

    @property
    def embedder_name(self) -> str: ...

    def chunk_by_key(self, doc_id: str, ref: str) -> Chunk | None: ...

    def children(self, doc_id: str, parent_ref: str) -> list[Chunk]: ...

    def url(self, doc_id: str, ref: str = "") -> str | None: ...

    def vocabulary(self) -> frozenset[str]: ...

    def aliases(self) -> list[str]: ...

    def source(self, doc_id: str) -> dict: ...


@dataclass
class Index:
    path: Path
    chunks: list[Chunk]
    dense: Any  # a faiss.Index (faiss ships no type information)
    bm25: BM25Index
    manifest: dict

    @property
    def corpus_version(self) -> str:
        return str(self.manifest.get("corpus_version", ""))

    @property
    def embedder_name(self) -> str:
        return str(self.manifest.get("embedder", ""))

    @property
    def document_urls(self) -> dict[str, str]:
        """The official address of each indexed document that has one (manifest `url`)."""
        return {d["doc_id"]: d["url"] for d in self.manifest.get("documents", []) if d.get("url")}

    def url(self, doc_id: str, ref: str = "") -> str | None:
        """Official link of a document or of one of its provisions (EUR-Lex anchor such as #art_5)."""
        return official_url(self.document_urls.get(doc_id), ref)

    def vocabulary(self) -> frozenset[str]:
        """Every word stem of the indexed texts (BM25 vocabulary): what the corpus can speak about."""
        return self.bm25.vocabulary()

    def aliases(self) -> list[str]:
        """Other names of the indexed texts declared in the manifest (« RGPD » for a GDPR text…)."""
        return [a for d in self.manifest.get("documents", []) for a in d.get("aliases", [])]

    def source(self, doc_id: str) -> dict:
        """What a citation shows of its document: short title, nature, licence, url ({} if unknown)."""
        if not hasattr(self, "_sources"):
            self._sources = {d["doc_id"]: d for d in self.manifest.get("documents", []) if d.get("doc_id")}
        return self._sources.get(doc_id, {})

    def chunk_by_key(self, doc_id: str, ref: str) -> Chunk | None:
        if not hasattr(self, "_by_key"):
            self._by_key: dict[tuple[str, str], Chunk] = {}
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
        scores, ids = self.dense.search(vec.reshape(1, -1).astype(np.float32), k)
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
    parse_limits: Limits | None = None,
    library_dir: Path | None = None,
) -> BuildReport:
    """Parse, chunk, embed (with cache) and write a new generation; switch to it atomically.

    `parse_limits`: time and memory per document for the sandboxed parser (default: from the
    environment, see `safeparse.Limits`).
    """
    t0 = time.perf_counter()
    docs = [d for d in all_documents(manifest_path, library_dir) if (d.doc_id in only if only else d.index)]
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
    with _build_lock(index_dir):
        _remove_leftovers(index_dir)
        parsed = _parse_all(docs, corpus_dir, cache_dir, index_dir, progress, parse_limits)
        chunks, doc_meta = _chunk_documents(docs, parsed, corpus_dir, unit_filter)
        texts = [c.index_text for c in chunks]
        vectors, embedded = _embed_with_cache(texts, cache_dir, embedder_name, embedder_factory, progress, bar)
        corpus_version = "corpus-" + hashlib.sha256("".join(d["hash"] for d in doc_meta).encode()).hexdigest()[:10]
        manifest = {
            "format": INDEX_FORMAT,
            "generation": "",  # both set when the generation is written
            "created": "",
            "inputs_hash": key,
            "corpus_version": corpus_version,
            "chunker_version": CHUNKER_VERSION,
            "embedder": embedder_name,
            "dim": int(vectors.shape[1]),
            "chunks": len(chunks),
            "documents": doc_meta,
        }
        name = _publish(index_dir, key, chunks, texts, vectors, manifest, progress)
    return BuildReport(name, len(chunks), embedded, time.perf_counter() - t0)


def all_documents(manifest_path: Path, library_dir: Path | None) -> list[Document]:
    """The shipped texts (corpus/sources.toml) and the administrator's active ones (ingest/library.py)."""
    docs = load_manifest(manifest_path)
    if library_dir is None:
        return docs
    from assistant.ingest.library import Library

    shipped = {d.doc_id for d in docs}
    added = Library(library_dir).documents()
    clash = [d.doc_id for d in added if d.doc_id in shipped]
    if clash:
        raise CorpusError(
            f"Bibliothèque : l'identifiant « {clash[0]} » est aussi celui d'un texte de corpus/sources.toml ; "
            "retirez le document de la bibliothèque. L'index en service reste inchangé."
        )
    return docs + added


def _chunk_documents(
    docs: Sequence[Document],
    parsed: dict[str, list[Unit]],
    corpus_dir: Path,
    unit_filter: Callable[[Unit], bool] | None,
) -> tuple[list[Chunk], list[dict]]:
    chunks: list[Chunk] = []
    doc_meta = []
    for doc in docs:
        units = parsed[doc.doc_id]
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
                "licence": doc.licence,
                "nature": doc.nature,
                "aliases": list(doc.extra.get("aliases", []) or []),  # type: ignore[call-overload]
                "units": len(units),
                "chunks": len(doc_chunks),
                "hash": document_hash(corpus_dir, doc),
            }
        )
    return link_amendments(chunks, docs), doc_meta


def _publish(
    index_dir: Path,
    key: str,
    chunks: list[Chunk],
    texts: list[str],
    vectors: np.ndarray,
    manifest: dict,
    progress: Callable[[str], None],
) -> str:
    """Write a generation in a temp dir, make it durable, rename it, switch CURRENT, collect."""
    import faiss

    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    bm25 = BM25Index.build(texts)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"{time.time_ns() // 1000 % 1_000_000:06d}"
    name = f"gen-{stamp}-{key[:8]}"
    while (index_dir / name).exists():  # two builds in the same microsecond: never overwrite a generation
        name += "x"
    progress(f"Écriture de la génération {name}…")
    tmp = index_dir / f".tmp-{name}-{os.getpid()}"
    tmp.mkdir(parents=True)
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8", errors="replace") as f:
        for c in chunks:
            f.write(json.dumps(_chunk_to_json(c), ensure_ascii=False) + "\n")
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    bm25.save(tmp / "bm25")
    manifest = {**manifest, "generation": name, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(tmp)
    previous = current_generation(index_dir)
    os.replace(tmp, index_dir / name)
    _fsync_path(index_dir)
    progress(f"Mise en service de {name}…")
    _write_current(index_dir, name)
    _collect_garbage(index_dir, keep={name, previous or name})
    return name


def _parse_all(
    docs: Sequence[Document],
    corpus_dir: Path,
    cache_dir: Path,
    index_dir: Path,
    progress: Callable[[str], None],
    limits: Limits | None,
) -> dict[str, list[Unit]]:
    """Units of every document, parsed in the sandbox; all refusals reported together."""
    from assistant.ingest.safeparse import ParseSandbox

    parsed: dict[str, list[Unit]] = {}
    failures: list[CorpusError] = []
    with ParseSandbox(limits) as sandbox:
        for doc in docs:
            progress(f"Analyse de « {doc.doc_id} » ({doc.file})…")
            try:
                parsed[doc.doc_id] = sandbox.load_units(doc, corpus_dir, cache_dir)
            except CorpusError as exc:
                failures.append(exc)
    if not failures:
        return parsed
    current = current_generation(index_dir)
    kept = f"L'index en service ({current}) reste inchangé." if current else "Aucun index n'a été écrit."
    if len(failures) == 1:
        message = str(failures[0])
        raise type(failures[0])(message if "reste" in message else f"{message} {kept}")
    cls = ParseError if all(isinstance(f, ParseError) for f in failures) else CorpusError
    raise cls(
        f"{len(failures)} documents refusés, rien n'a été indexé. {kept}\n" + "\n".join(f"- {f}" for f in failures)
    )


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
    keys = [hashlib.sha256(t.encode("utf-8", "replace")).hexdigest() for t in texts]
    cached = _read_cache(cache_file)
    missing = sorted({k: i for i, k in enumerate(keys) if k not in cached}.values())
    if missing:
        progress(f"Calcul des plongements de {len(missing)} passage(s) sur {len(texts)}…")
        embedder = factory()
        tick = bar(len(missing)) if bar else None
        # Shortest first, in blocks of whole batches: the embedder sorts by length too, so its
        # batches are the same as in one call; after each block the cache is saved, so a build
        # killed while embedding resumes where it stopped.
        order = sorted(missing, key=lambda i: len(texts[i]))
        block = int(getattr(embedder, "batch_size", 16)) * _CHECKPOINT_BATCHES
        for start in range(0, len(order), block):
            part = order[start : start + block]
            vecs = embedder.embed_documents([texts[i] for i in part], progress=tick)
            for i, v in zip(part, vecs, strict=True):
                cached[keys[i]] = v
            _write_cache(cache_file, cached)
    vectors = np.stack([cached[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 1), np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0), len(missing)


def _read_cache(cache_file: Path) -> dict[str, np.ndarray]:
    """The cached vectors by text hash; a damaged or half-written cache only costs time."""
    if not cache_file.is_file():
        return {}
    try:
        with np.load(cache_file, allow_pickle=False) as z:
            keys, vecs = z["keys"], z["vecs"]
            if vecs.ndim != 2 or len(keys) != len(vecs):
                return {}
            return dict(zip(keys.tolist(), vecs, strict=True))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}


def _write_cache(cache_file: Path, cached: dict[str, np.ndarray]) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.parent / f".{cache_file.name}.{os.getpid()}.tmp.npz"
    with tmp.open("wb") as f:
        np.savez(f, keys=np.array(list(cached)), vecs=np.stack(list(cached.values())).astype(np.float32))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, cache_file)
    _fsync_path(cache_file.parent)


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


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    """Files first, then the directories that name them (deepest first), so a rename that
    publishes `path` never reaches the disk before its content."""
    dirs = [path]
    for p in path.rglob("*"):
        if p.is_dir():
            dirs.append(p)
        elif p.is_file():
            _fsync_path(p)
    for d in sorted(dirs, key=lambda d: len(d.parts), reverse=True):
        _fsync_path(d)


def _write_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f".CURRENT.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_path(index_dir)


@contextlib.contextmanager
def _build_lock(index_dir: Path):
    """One build at a time per index directory; the kernel releases the lock if the build dies."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".build.lock").open("a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexStateError(
                f"Une construction de l'index est déjà en cours dans {index_dir} : attendez qu'elle se termine "
                "(l'index en service reste disponible), puis relancez `assistant index build` si besoin."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(index_dir: Path) -> None:
    """What builds killed midway left behind (safe: called under the build lock)."""
    for pattern in (".tmp-gen-*", ".del-*"):
        for p in index_dir.glob(pattern):
            shutil.rmtree(p, ignore_errors=True)
    for p in [*index_dir.glob(".CURRENT.*.tmp"), *(index_dir / "cache").glob(".*.tmp.npz")]:
        p.unlink(missing_ok=True)
    for p in (index_dir / "cache").glob("*.tmp"):
        p.unlink(missing_ok=True)


def _collect_garbage(index_dir: Path, keep: set[str]) -> None:
    """Delete generations other than `keep` (older ones, and orphans of killed builds that
    were written but never put in service)."""
    for p in sorted(index_dir.glob("gen-*")):
        if p.is_dir() and p.name not in keep:
            doomed = index_dir / f".del-{p.name}"
            os.replace(p, doomed)  # never a half-deleted directory under a generation's name
            shutil.rmtree(doomed, ignore_errors=True)


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
    """The generation in service. A build may switch CURRENT (and delete an older generation)
    while we read: then the new generation is read instead."""
    attempts = 3
    for attempt in range(attempts):
        name = current_generation(index_dir)
        if name is None:
            break
        try:
            return _load_generation(index_dir / name)
        except IndexStateError:
            if attempt == attempts - 1 or current_generation(index_dir) == name:
                raise
    raise IndexStateError(f"Aucun index dans {index_dir} : lancez `assistant index build` (ou `make index`).")


def _load_generation(gen: Path) -> Index:
    import faiss

    name = gen.name
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
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
    declared = {d.get("doc_id"): d.get("chunks") for d in manifest.get("documents", []) if d.get("chunks")}
    if dense.ntotal != len(chunks) or manifest.get("chunks") != len(chunks) or (declared and declared != per_doc):
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
