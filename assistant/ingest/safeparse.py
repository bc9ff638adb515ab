"""Parse documents in a child process with time and memory limits (hostile files).

A parser bug, a decompression bomb or a pathological file must neither crash nor hang the
index build, so documents are parsed (`corpus.load_units`) by a worker process:

- memory: the worker runs under RLIMIT_AS (address space), so a bomb ends in MemoryError or
  death of the worker, never in the machine swapping or the OOM killer choosing a victim;
- time: the parent gives each document a wall-clock deadline and SIGKILLs the worker when it
  passes (RLIMIT_CPU and PR_SET_PDEATHSIG are backstops if the parent itself dies);
- after a failure the worker is replaced, so the next document starts clean.

One worker serves all documents of a build: a fresh interpreter that imports only the
parsers (never torch) costs ~0.2 s once, not per file. Units come back as length-prefixed
JSON on a private pipe, never pickle: a worker that a hostile file took over cannot make the
parent run code. Whatever happens, the caller gets units or a French `CorpusError`.

Limits come from the environment at each build: `ASSISTANT_PARSE_TIMEOUT` (seconds per
document, default 300) and `ASSISTANT_PARSE_MEMORY_MB` (worker address space, default 2048).
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from assistant.base import errors
from assistant.base.errors import CorpusError, ParseError
from assistant.base.units import Unit
from assistant.ingest.corpus import Document, load_units

__all__ = ["Limits", "ParseSandbox", "load_units_isolated"]

_MAX_RESULT_BYTES = 1 << 30
_KEEP = " L'index en service reste inchangé."


@dataclass(frozen=True)
class Limits:
    seconds: float = 300.0  # per document
    memory_mb: int = 2048  # address space of the worker

    @classmethod
    def from_env(cls) -> Limits:
        """The limits declared in `Settings` (ASSISTANT_PARSE_TIMEOUT, ASSISTANT_PARSE_MEMORY_MB)."""
        from assistant.base.settings import Settings

        settings = Settings.load()
        return cls(float(settings.parse_timeout), int(settings.parse_memory_mb))


class _WorkerDiedError(Exception):
    def __init__(self, timed_out: bool, exitcode: int | None, stderr_tail: str):
        super().__init__(stderr_tail)
        self.timed_out, self.exitcode, self.stderr_tail = timed_out, exitcode, stderr_tail


class ParseSandbox:
    """Parses documents one at a time in a limited worker process; use as a context manager."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits.from_env()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> ParseSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for f in (self._proc.stdin, self._proc.stdout):
                if f is not None:
                    f.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            src = str(Path(__file__).resolve().parents[2])
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p))
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from assistant.ingest.safeparse import _worker_main; _worker_main()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                close_fds=True,
            )
        return self._proc

    def load_units(self, doc: Document, corpus_dir: Path, cache_dir: Path | None = None) -> list[Unit]:
        """`corpus.load_units` in the worker; any failure becomes a French `CorpusError`."""
        request = {
            "doc": asdict(doc),
            "corpus_dir": str(corpus_dir),
            "cache_dir": str(cache_dir) if cache_dir else None,
            "limits": asdict(self.limits),
        }
        try:
            data = self._exchange(json.dumps(request, default=str).encode() + b"\n")
        except _WorkerDiedError as died:
            self.close()  # the next document gets a fresh worker
            raise _death_error(doc, died, self.limits) from None
        return _decode(doc, data, self.limits)

    def _exchange(self, request: bytes) -> bytes:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        deadline = time.monotonic() + self.limits.seconds
        try:
            proc.stdin.write(request)
            proc.stdin.flush()
        except OSError:
            raise self._died(False) from None
        header = self._read(proc.stdout, 8, deadline)
        size = int.from_bytes(header, "big")
        if size > _MAX_RESULT_BYTES:
            raise self._died(False)
        return self._read(proc.stdout, size, deadline)

    def _read(self, stream: IO[bytes], size: int, deadline: float) -> bytes:
        fd = stream.fileno()
        parts: list[bytes] = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise self._died(True)
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise self._died(False)
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def _died(self, timed_out: bool) -> _WorkerDiedError:
        assert self._proc is not None
        if timed_out and self._proc.poll() is None:
            self._proc.kill()
        code = self._proc.wait()
        tail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
            tail = lines[-1][:200] if lines else ""
        return _WorkerDiedError(timed_out, code, tail)


def load_units_isolated(
    doc: Document, corpus_dir: Path, cache_dir: Path | None = None, limits: Limits | None = None
) -> list[Unit]:
    """One document in a one-off sandbox (a build uses one `ParseSandbox` for all its documents)."""
    with ParseSandbox(limits) as sandbox:
        return sandbox.load_units(doc, corpus_dir, cache_dir)


def _where(doc: Document) -> str:
    names = ", ".join(n for n in (doc.file, doc.pages_file, *doc.annex_files) if n)
    return f"Document « {doc.doc_id} » ({names})"


def _death_error(doc: Document, died: _WorkerDiedError, limits: Limits) -> ParseError:
    if died.timed_out or died.exitcode == -signal.SIGXCPU:
        return ParseError(
            f"{_where(doc)} : l'analyse dépasse la limite de {limits.seconds:g} s. Le fichier est peut-être "
            "piégé (boucle, bombe de décompression) ou anormalement volumineux : vérifiez-le ou remplacez-le "
            "par l'original ; s'il est légitime, augmentez ASSISTANT_PARSE_TIMEOUT." + _KEEP
        )
    code = died.exitcode
    how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"code {code}"
    detail = f" ; dernier message : {died.stderr_tail}" if died.stderr_tail else ""
    return ParseError(
        f"{_where(doc)} : le processus d'analyse s'est arrêté brutalement ({how}{detail}), sans doute sur un "
        f"fichier endommagé ou piégé (limite de mémoire : {limits.memory_mb} Mo). Remplacez le fichier par "
        "l'original ; s'il est légitime, augmentez ASSISTANT_PARSE_MEMORY_MB." + _KEEP
    )


def _decode(doc: Document, data: bytes, limits: Limits) -> list[Unit]:
    try:
        payload = json.loads(data)
        if "units" in payload:
            # JSON has lists where Unit has tuples.
            return [Unit(**{**u, "amends": tuple(u.get("amends", ()))}) for u in payload["units"]]
        kind = payload.get("error")
    except (ValueError, TypeError, AttributeError):  # the worker is ours: only a hijacked one answers this
        raise ParseError(
            f"{_where(doc)} : réponse invalide du processus d'analyse, le fichier est peut-être piégé. "
            "Remplacez-le par l'original et signalez-le à l'équipe." + _KEEP
        ) from None
    if kind == "memory":
        raise ParseError(
            f"{_where(doc)} : l'analyse dépasse la limite de mémoire ({limits.memory_mb} Mo). Le fichier est "
            "peut-être piégé (bombe de décompression) : remplacez-le par l'original ; s'il est légitime, "
            "augmentez ASSISTANT_PARSE_MEMORY_MB." + _KEEP
        )
    if kind == "crash":
        raise ParseError(
            f"{_where(doc)} : le fichier n'a pas pu être analysé ({payload.get('type')} : {payload.get('detail')}). "
            f"Il est endommagé ou n'est pas du type « {doc.kind} » déclaré dans corpus/sources.toml : "
            "remplacez-le par l'original ou corrigez le champ kind." + _KEEP
        )
    cls = getattr(errors, str(payload.get("class")), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.AssistantError)):
        cls = CorpusError
    raise cls(str(payload.get("message", "")))


# --------------------------------------------------------------------------- worker side


def _apply_limits(limits: Limits) -> None:
    def cap(which: int, soft: int, hard: int) -> None:
        _cur_soft, cur_hard = resource.getrlimit(which)
        if cur_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, cur_hard), min(hard, cur_hard)
        resource.setrlimit(which, (soft, hard))

    memory = limits.memory_mb << 20
    cap(resource.RLIMIT_AS, memory, memory)
    cap(resource.RLIMIT_CORE, 0, 0)


def _die_with_parent() -> None:
    """Linux: the kernel kills the worker if the build process dies (e.g. SIGKILL mid-build)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl: nobody will read our answers
        os._exit(0)


def _parse(request: dict) -> dict:
    try:
        d = request["doc"]
        doc = Document(**{**d, "annex_files": tuple(d["annex_files"]), "annex_sha256": tuple(d["annex_sha256"])})
        cache_dir = Path(request["cache_dir"]) if request["cache_dir"] else None
        units = load_units(doc, Path(request["corpus_dir"]), cache_dir)
        return {"units": [asdict(u) for u in units]}
    except errors.AssistantError as exc:
        return {"class": type(exc).__name__, "message": str(exc)}
    except MemoryError:
        return {"error": "memory"}
    except Exception as exc:  # a parser bug triggered by a hostile file
        return {"error": "crash", "type": type(exc).__name__, "detail": str(exc)[:200]}


def _worker_main() -> None:
    import logging

    _die_with_parent()
    # The user reads our French message; pypdf's English warnings about a damaged file are noise.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from a library must not corrupt the protocol
    applied = False
    budget = 0.0
    for line in sys.stdin.buffer:
        request = json.loads(line)
        limits = Limits(**request["limits"])
        budget += limits.seconds
        if not applied:
            _apply_limits(limits)
            applied = True
        # CPU backstop (cumulative for the process): the parent's wall-clock deadline comes first.
        cpu = math.ceil(budget) + 5
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
        payload = _parse(request)
        try:
            # Lone surrogates (from broken PDF strings) cannot be written as UTF-8 later: replace them.
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "replace")
        except MemoryError:
            data = b'{"error": "memory"}'
        channel.write(len(data).to_bytes(8, "big") + data)
        channel.flush()
