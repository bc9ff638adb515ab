"""API keys and roles, stored hashed in a JSON file (setting ASSISTANT_KEYS_PATH).

A key is `cd13_` + 43 random URL-safe characters, shown once at creation. The file keeps
only its SHA-256 (hex) with an id, a role, a label, the creation date and the revocation
date; presented keys are hashed and compared with `hmac.compare_digest`. The file is
re-read when it changes, so `assistant keys revoke` takes effect on a running server.

Roles, from least to most privileged: agent (ask, search, documents, feedback),
trainer (agent + trainer routes), referent (the référent IA: trainer + decisions on the register
of AI uses), admin (everything, admin routes included).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from assistant.base.errors import AssistantError, ConfigError, InputError

ROLES = ("agent", "trainer", "referent", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
PREFIX = "cd13_"
FORMAT = 1


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: str
    label: str
    created: str
    sha256: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    def public(self) -> dict:
        """What may be shown (never the hash)."""
        return {"id": self.id, "role": self.role, "label": self.label, "created": self.created, "revoked": self.revoked}


def role_allows(role: str, required: str) -> bool:
    return _RANK.get(role, -1) >= _RANK[required]


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class KeyStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int] | None, list[ApiKey]] = (None, [])

    # ------------------------------------------------------------------ reading

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _read(self) -> list[ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"Fichier des clés d'API illisible ({self.path} : {exc.__class__.__name__}). "
                "Restaurez-le depuis une sauvegarde ou supprimez-le puis recréez les clés (`assistant keys create`)."
            ) from None
        try:
            return [ApiKey(**k) for k in data.get("keys", [])]
        except TypeError:
            raise ConfigError(
                f"Fichier des clés d'API mal formé : {self.path}. Restaurez-le depuis une sauvegarde."
            ) from None

    def records(self) -> list[ApiKey]:
        """All keys (revoked ones included), re-read when the file changed."""
        with self._lock:
            stamp = self._stamp()
            if stamp != self._cache[0] or stamp is None:
                self._cache = (stamp, self._read())
            return list(self._cache[1])

    def exists(self) -> bool:
        """True once any key was ever created: from then on every request needs a key."""
        return bool(self.records())

    def has_active(self) -> bool:
        return any(k.active for k in self.records())

    def authenticate(self, raw: str | None) -> ApiKey | None:
        """The active key matching `raw`, compared in constant time against every stored hash."""
        if not raw:
            return None
        digest = hash_key(raw.strip())
        found = None
        for k in self.records():
            if hmac.compare_digest(digest, k.sha256) and k.active:
                found = k
        return found

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[ApiKey]]:
        """Read-modify-write under an exclusive file lock (CLI and server may run together)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                keys = self._read()
                yield keys
                self._write(keys)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, keys: list[ApiKey]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        data = {"format": FORMAT, "keys": [asdict(k) for k in keys]}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        with self._lock:
            self._cache = (None, [])

    def create(self, role: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key: returns its record and the raw key (the only time it is available)."""
        if role not in ROLES:
            raise InputError(f"Rôle inconnu « {role} » : choisissez parmi {', '.join(ROLES)}.")
        raw = PREFIX + secrets.token_urlsafe(32)
        with self._locked() as keys:
            ids = {k.id for k in keys}
            key_id = secrets.token_hex(4)
            while key_id in ids:
                key_id = secrets.token_hex(4)
            record = ApiKey(id=key_id, role=role, label=label.strip()[:200], created=_now(), sha256=hash_key(raw))
            keys.append(record)
        return record, raw

    def revoke(self, key_id: str) -> ApiKey:
        with self._locked() as keys:
            for i, k in enumerate(keys):
                if k.id == key_id:
                    if k.active:
                        keys[i] = replace(k, revoked=_now())
                    return keys[i]
        raise InputError(f"Aucune clé d'identifiant « {key_id} » : voyez `assistant keys list`.")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def assert_can_listen(host: str, keys: KeyStore) -> None:
    """Refuse to serve a non-loopback address while no active API key exists."""
    if is_loopback(host) or keys.has_active():
        return
    raise AssistantError(
        f"Refus d'écouter sur {host} : aucune clé d'API active n'est configurée, le service serait ouvert "
        'à tout le réseau. Créez d\'abord une clé avec `assistant keys create --role admin --label "…"` '
        "(puis des clés « agent » pour les utilisateurs), ou écoutez sur 127.0.0.1 (défaut)."
    )


__all__ = ["PREFIX", "ROLES", "ApiKey", "KeyStore", "assert_can_listen", "hash_key", "is_loopback", "role_allows"]
