"""Crash-safety soak of the index: SIGKILL builds at random moments, restart, check.

    python bench/soak_index.py [--kills 60] [--seed 1] [--corpus real|synthetic] [--readers 2]
                               [--embed-ms 2]        (make soak)

Each round starts an index build (fake embedder, `--embed-ms` of simulated work per passage so
that kills also land while embedding) in a child process, towards the corpus variant that is
not in service, and SIGKILLs it at a random moment: uniformly over a build's duration, or just
after one of its phase markers (parsing, embedding, writing, switching). Then it checks:

- the index loads, and CURRENT names either the generation in service before the round or a
  new, complete generation of the target variant (the previous generation keeps serving);
- vectors = chunks = manifest rows;
- every document has exactly the chunks of a clean build of that variant; a missing or
  different document counts as lost.

It restarts the build, lets it finish and checks again (target variant, no leftovers, at most
two generations). Reader threads load and query the index all along; every failure counts.
Prints kills survived / tried, documents lost, reader loads / failures. Exit status 1 when
anything failed. `tests/test_crash_index.py` runs a short synthetic variant of this harness.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Progress messages of build_index that mark its phases (kills are aimed just after them).
PHASES = ("Analyse", "Calcul des plongements", "Écriture", "Mise en service")


# --------------------------------------------------------------------------- corpus variants


@dataclass(frozen=True)
class Variant:
    name: str
    manifest: Path
    only: tuple[str, ...] = ()


def synthetic_corpus(directory: Path, docs: int = 5, paragraphs: int = 160) -> list[Variant]:
    """Two variants of a generated text corpus: B changes one document, drops one, adds one."""
    directory.mkdir(parents=True, exist_ok=True)
    words = [
        *("déployeur", "fournisseur", "registre", "transparence", "supervision", "humaine", "données"),
        *("sobriété", "formation", "agents", "évaluation", "risques", "conformité", "journalisation"),
        *("exactitude", "robustesse", "cybersécurité"),
    ]

    def text(seed: int) -> str:
        rnd = random.Random(seed)
        return "\n\n".join(
            f"Paragraphe {p}. " + " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 60))) + "."
            for p in range(paragraphs)
        )

    entries: dict[str, str] = {}
    for n in range(docs + 1):
        name = f"doc-{n}.txt"
        (directory / name).write_text(text(n), encoding="utf-8")
        entries[f"doc-{n}"] = name
    (directory / "doc-1-v2.txt").write_text(text(1000), encoding="utf-8")

    def manifest(path: Path, ids: list[str], changed: bool) -> Path:
        blocks = []
        for doc_id in ids:
            file = "doc-1-v2.txt" if changed and doc_id == "doc-1" else entries[doc_id]
            blocks.append(
                f'[[document]]\ndoc_id = "{doc_id}"\ntitle = "Document {doc_id}"\nlang = "fr"\nkind = "text"\n'
                f'file = "{file}"\nsha256 = ""\nversion = "{"v2" if changed else "v1"}"\ndate = "2025-01-01"\n'
            )
        path.write_text("\n".join(blocks), encoding="utf-8")
        return path

    ids_a = [f"doc-{n}" for n in range(docs)]
    ids_b = [i for i in ids_a if i != "doc-2"] + [f"doc-{docs}"]
    return [
        Variant("A", manifest(directory / "sources-a.toml", ids_a, False)),
        Variant("B", manifest(directory / "sources-b.toml", ids_b, True)),
    ]


def real_corpus() -> list[Variant]:
    manifest = ROOT / "corpus" / "sources.toml"
    return [
        Variant("A", manifest, ("ai-act", "charte")),
        Variant("B", manifest, ("ai-act-2026-1744", "charte", "ai-act-en")),
    ]


# --------------------------------------------------------------------------- child build


def child_main(argv: list[str]) -> int:
    """One build, progress markers on stdout (run by the harness in a child process)."""
    p = argparse.ArgumentParser()
    p.add_argument("--manifest", required=True)
    p.add_argument("--corpus", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--only", default="")
    p.add_argument("--embed-ms", type=float, default=0.0)
    args = p.parse_args(argv)

    from assistant.search.embed import FakeEmbedder
    from assistant.search.index import build_index

    class SlowFakeEmbedder(FakeEmbedder):
        """The fake embedder with a per-passage cost, so that a kill can land mid-embedding."""

        batch_size = 16

        def embed_documents(self, texts, progress=None):
            time.sleep(args.embed_ms / 1000 * len(texts))
            return super().embed_documents(texts, progress)

    def progress(msg: str) -> None:
        print("PHASE", msg, flush=True)

    report = build_index(
        manifest_path=Path(args.manifest),
        corpus_dir=Path(args.corpus),
        index_dir=Path(args.index),
        embedder_factory=SlowFakeEmbedder,
        embedder_name=FakeEmbedder().name,
        only=[d for d in args.only.split(",") if d] or None,
        force=True,
        progress=progress,
    )
    print("DONE", report.generation, report.embedded, flush=True)
    return 0


class Build:
    """A child build whose phase markers are timestamped as they arrive."""

    def __init__(self, variant: Variant, corpus: Path, index: Path, embed_ms: float):
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--manifest",
            str(variant.manifest),
            "--corpus",
            str(corpus),
            "--index",
            str(index),
            "--only",
            ",".join(variant.only),
            "--embed-ms",
            str(embed_ms),
        ]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - read after the child ends
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env)
        self.started = time.monotonic()
        self.seen: dict[str, threading.Event] = {phase: threading.Event() for phase in PHASES}
        self.done: tuple[str, int] | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("PHASE "):
                for phase in PHASES:
                    if line[6:].startswith(phase):
                        self.seen[phase].set()
            elif line.startswith("DONE "):
                _, gen, embedded = line.split()
                self.done = (gen, int(embedded))

    def kill(self) -> bool:
        """SIGKILL the build; False when it had already ended."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signal.SIGKILL)
        self.wait()
        return True

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()


# --------------------------------------------------------------------------- checks


def snapshot(index_dir: Path) -> tuple[str, str, dict[str, list[tuple[str, str]]]]:
    """(generation, inputs hash, {doc_id: [(ref, text)]}) of the generation in service."""
    from assistant.search.index import load_index

    idx = load_index(index_dir)
    if not (idx.dense.ntotal == len(idx.chunks) == idx.manifest.get("chunks")):
        raise AssertionError(f"{idx.path.name}: vectors {idx.dense.ntotal}, chunks {len(idx.chunks)}")
    docs: dict[str, list[tuple[str, str]]] = {}
    for c in idx.chunks:
        docs.setdefault(c.doc_id, []).append((c.ref, c.text))
    return idx.path.name, str(idx.manifest.get("inputs_hash")), docs


def lost_documents(docs: dict[str, list[tuple[str, str]]], reference: dict[str, list[tuple[str, str]]]) -> list[str]:
    """Documents of the reference that are missing, half-present or different (and intruders)."""
    return sorted(d for d in set(reference) | set(docs) if docs.get(d) != reference.get(d))


def leftovers(index_dir: Path) -> list[str]:
    names = [p.name for p in index_dir.iterdir() if p.name.startswith((".tmp-", ".del-", ".CURRENT."))]
    return names + [p.name for p in (index_dir / "cache").glob("*.tmp*")]


@dataclass
class Readers:
    """Threads that load the index and query it in a loop while builds run and die."""

    index_dir: Path
    hashes: set[str]
    count: int = 1
    loads: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Readers:
        for _ in range(self.count):
            t = threading.Thread(target=self._loop, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)

    def _loop(self) -> None:
        import numpy as np

        from assistant.search.index import load_index

        while not self._stop.is_set():
            try:
                idx = load_index(self.index_dir)
                if str(idx.manifest.get("inputs_hash")) not in self.hashes:
                    raise AssertionError(f"unknown generation {idx.path.name}")
                vec = np.zeros(idx.dense.d, dtype=np.float32)
                vec[0] = 1.0
                _scores, ids = idx.dense_search(vec, 5)
                if len(ids) != min(5, len(idx.chunks)) or not idx.bm25.scores("registre des données").size:
                    raise AssertionError("empty results")
                self.loads += 1
            except Exception as exc:  # every failure is a finding
                self.failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.01)


# --------------------------------------------------------------------------- harness


@dataclass
class SoakResult:
    tried: int = 0  # builds killed while running
    survived: int = 0  # kills after which every check passed (and the restart too)
    finished_first: int = 0  # rounds whose build ended before the kill came
    documents_lost: int = 0
    reader_loads: int = 0
    reader_failures: int = 0
    resumed_embeddings: int = 0  # passages a restart did not have to embed again
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"kills survived / tried: {self.survived} / {self.tried}; documents lost: {self.documents_lost}; "
            f"reader loads / failures: {self.reader_loads} / {self.reader_failures}; "
            f"builds that ended before the kill: {self.finished_first}; "
            f"embeddings reused by restarts: {self.resumed_embeddings}"
        )


def soak(
    *,
    kills: int,
    work: Path,
    corpus: str = "synthetic",
    seed: int = 1,
    readers: int = 1,
    embed_ms: float = 2.0,
    log=lambda msg: print(msg, flush=True),
) -> SoakResult:
    from assistant.search.index import current_generation

    rnd = random.Random(seed)
    corpus_dir = work / "corpus"
    if corpus == "real":
        from assistant.base.settings import Settings

        corpus_dir = Settings.load().corpus_path
        variants = real_corpus()
    else:
        variants = synthetic_corpus(corpus_dir)
    index_dir = work / "index"
    result = SoakResult()

    # References: a clean build of each variant, its duration and content.
    refs: dict[str, dict[str, list[tuple[str, str]]]] = {}
    hashes: dict[str, str] = {}
    durations = []
    for v in variants:
        build = Build(v, corpus_dir, work / f"ref-{v.name}", embed_ms)
        if build.wait() != 0:
            raise SystemExit(f"reference build {v.name} failed:\n{build.stderr()}")
        durations.append(time.monotonic() - build.started)
        _gen, hashes[v.name], refs[v.name] = snapshot(work / f"ref-{v.name}")
    by_hash = {h: name for name, h in hashes.items()}
    longest = max(durations)
    log(f"reference builds: {', '.join(f'{d:.1f} s' for d in durations)}; kills over [0, {longest:.1f}] s")

    shutil.copytree(work / f"ref-{variants[0].name}", index_dir)
    current = variants[0]
    with Readers(index_dir, set(hashes.values()), readers) as reading:
        rounds = 0
        while result.tried < kills and rounds < kills * 3:
            rounds += 1
            target = variants[1] if current is variants[0] else variants[0]
            before, _h, _d = snapshot(index_dir)
            build = Build(target, corpus_dir, index_dir, embed_ms)
            if rnd.random() < 0.5:
                how = "time"
                time.sleep(rnd.uniform(0, longest))
            else:
                phase = rnd.choice(PHASES)
                how = f"after «{phase}»"
                build.seen[phase].wait(3 * longest)
                time.sleep(rnd.uniform(0, 0.05 * longest))
            if not build.kill():
                result.finished_first += 1
                if build.wait() != 0:
                    result.problems.append(f"round {rounds}: build failed:\n{build.stderr()[-2000:]}")
                current = target
                continue
            result.tried += 1
            problems = _check_after_kill(index_dir, before, current, target, by_hash, refs, result)
            serving = current_generation(index_dir)
            # Restart: the same build, to completion.
            restart = Build(target, corpus_dir, index_dir, embed_ms)
            if restart.wait(600) != 0:
                problems.append(f"restart failed:\n{restart.stderr()[-2000:]}")
            else:
                if restart.done:
                    result.resumed_embeddings += sum(len(d) for d in refs[target.name].values()) - restart.done[1]
                problems += _check_after_restart(index_dir, serving, target, by_hash, refs, result)
            current = target
            if problems:
                result.problems.extend(f"kill {result.tried} ({how}): {p}" for p in problems)
            else:
                result.survived += 1
            status = "ok" if not problems else "FAILED: " + problems[0]
            log(f"kill {result.tried:>3} {how:<28} readers {reading.loads}/{len(reading.failures)} {status}")
    result.reader_loads, result.reader_failures = reading.loads, len(reading.failures)
    result.problems.extend(f"reader: {f}" for f in reading.failures[:5])
    return result


def _check(index_dir, when, expected, refs, by_hash, result) -> tuple[str, str | None, list[str]]:
    """Load the generation in service: it must be a complete build of one of the `expected` variants."""
    try:
        gen, inputs, docs = snapshot(index_dir)
    except Exception as exc:
        return "", None, [f"the index does not load {when}: {exc}"]
    variant = by_hash.get(inputs)
    if variant not in expected:
        return gen, variant, [f"{gen} {when} is variant {variant}, expected one of {sorted(expected)}"]
    lost = lost_documents(docs, refs[variant])
    result.documents_lost += len(lost)
    return gen, variant, [f"documents lost or half-present in {gen} {when}: {lost}"] if lost else []


def _check_after_kill(index_dir, before, current, target, by_hash, refs, result) -> list[str]:
    """The generation of before the build, or a complete new one of the target variant."""
    gen, variant, problems = _check(index_dir, "after the kill", {current.name, target.name}, refs, by_hash, result)
    if gen and gen != before and variant != target.name:
        problems.append(f"new generation {gen} is not the target variant")
    return problems


def _check_after_restart(index_dir, serving, target, by_hash, refs, result) -> list[str]:
    """The target variant, complete, no leftovers, and the generation that served before kept."""
    _gen, _variant, problems = _check(index_dir, "after the restart", {target.name}, refs, by_hash, result)
    if left := leftovers(index_dir):
        problems.append(f"leftovers after a complete build: {left}")
    gens = sorted(p.name for p in index_dir.glob("gen-*"))
    if len(gens) > 2 or serving not in gens:
        problems.append(f"generations kept: {gens} (expected the new one and {serving})")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--corpus", choices=("real", "synthetic"), default="real")
    p.add_argument("--readers", type=int, default=2)
    p.add_argument("--embed-ms", type=float, default=2.0, help="simulated embedding time per passage (ms)")
    p.add_argument("--work", help="working directory (default: a temporary one, removed at the end)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-index-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        result = soak(
            kills=args.kills,
            work=work,
            corpus=args.corpus,
            seed=args.seed,
            readers=args.readers,
            embed_ms=args.embed_ms,
        )
        print(f"\n{result.summary()} ({time.monotonic() - t0:.0f} s)")
        for problem in result.problems[:20]:
            print("  -", problem)
    ok = result.survived == result.tried and not result.documents_lost and not result.reader_failures
    return 0 if ok and not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
