"""PostgreSQL for the state several workers share (setting ASSISTANT_DATABASE_URL=postgresql://…).

One connection pool per process and URL (psycopg 3 + psycopg_pool). The schema is versioned:
`migrations/NNNN_name.sql`, applied in order by `upgrade()` (`assistant db upgrade`), each in
its own transaction under an advisory lock, so two machines upgrading at once apply each file
once. The stores refuse to start on a schema older than the code (`require_current()`), with the
command to run, rather than migrating behind the administrator's back.

Serialisation is the database's: writers that must see each other's rows (the audit chain, the
register's chain) take a transaction-scoped advisory lock (`pg_advisory_xact_lock`), held until
their COMMIT, which the server makes durable before it answers (synchronous_commit=on, its
default): a row whose id the caller got back survives a crash of the caller, of the server or of
the machine.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from assistant.base.errors import ConfigError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

# Advisory lock keys (one 64-bit number per purpose, the same in every process).
AUDIT_LOCK = 0x4344_3133_4155_4454  # "CD13AUDT": the audit chain's writers
MIGRATE_LOCK = 0x4344_3133_4D49_4752  # "CD13MIGR": schema upgrades
REGISTER_LOCK = 0x4344_3133_5245_4749  # "CD13REGI": the register's writers (register/store_pg.py)
POOL_MAX = 8  # connections per process; not measured: initial choice (each worker serves <= ask_queue answers)
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def describe(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped with the code, in order."""
    out = []
    for f in resources.files("assistant.ops").joinpath("migrations").iterdir():
        m = _MIGRATION.match(f.name)
        if m:
            out.append((int(m.group(1)), f.name, f.read_text(encoding="utf-8")))
    return sorted(out)


def latest_version() -> int:
    return migrations()[-1][0]


class Database:
    """A pool of connections to one PostgreSQL database."""

    def __init__(self, url: str, *, max_size: int = POOL_MAX):
        if not is_postgres(url):
            raise ConfigError(
                f"ASSISTANT_DATABASE_URL « {describe(url)[:80]} » : attendu postgresql://utilisateur@hôte:5432/base."
            )
        try:
            from psycopg_pool import ConnectionPool
        except ImportError:  # pragma: no cover - depends on the install
            raise ConfigError("psycopg n'est pas installé : lancez `make install` (requirements.lock).") from None
        self.url = url
        import psycopg

        try:  # one direct connection first: fails fast, with the server's own reason
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.Error as exc:
            raise unreachable(url, exc) from None
        self._pool: ConnectionPool = ConnectionPool(
            url, min_size=1, max_size=max_size, open=False, timeout=15, kwargs={"autocommit": False}
        )
        try:
            self._pool.open(wait=True, timeout=15)
        except Exception as exc:
            self._pool.close()
            raise unreachable(url, exc) from None

    def close(self) -> None:
        self._pool.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection inside one transaction (committed on success, rolled back otherwise)."""
        import psycopg

        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from None

    def version(self) -> int:
        """The schema version in the database (0: never upgraded)."""
        with self.transaction() as conn:
            exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return 0
            row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
            return int(row[0]) if row else 0

    def upgrade(self) -> list[str]:
        """Apply the migrations the database lacks; the names of those applied (none: already current)."""
        applied: list[str] = []
        for version, name, sql in migrations():
            with self.transaction() as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATE_LOCK])
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                done = conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", [version]).fetchone()
                if done:
                    continue
                conn.execute(sql.encode("utf-8"))  # several statements, no parameters
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", [version, name])
                applied.append(name)
        return applied

    def require_current(self) -> None:
        have, want = self.version(), latest_version()
        if have < want:
            raise ConfigError(
                f"Base PostgreSQL {describe(self.url)} : schéma en version {have}, le code attend la version "
                f"{want}. Lancez `assistant db upgrade` (sauvegarde préalable conseillée)."
            )
        if have > want:
            raise ConfigError(
                f"Base PostgreSQL {describe(self.url)} : schéma en version {have}, plus récent que ce code "
                f"(version {want}). Mettez l'assistant à jour sur cette machine."
            )


def one(cur: Any) -> tuple:
    """The row a statement that always returns one gave back (COUNT, RETURNING, an upserted row)."""
    row = cur.fetchone()
    if row is None:  # pragma: no cover - the statement guarantees a row
        raise RuntimeError("expected one row")
    return tuple(row)


def unreachable(url: str, exc: BaseException) -> ConfigError:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else exc.__class__.__name__
    return ConfigError(
        f"Base PostgreSQL injoignable ({describe(url)} : {first}). Vérifiez ASSISTANT_DATABASE_URL, "
        "que le serveur tourne et qu'il accepte cette machine (pg_hba.conf)."
    )


_POOLS: dict[tuple[int, str], Database] = {}
_POOLS_LOCK = threading.Lock()


def database(url: str, *, checked: bool = True) -> Database:
    """The process's pool for `url` (a forked worker gets its own), schema checked once."""
    import os

    key = (os.getpid(), url)
    with _POOLS_LOCK:
        db = _POOLS.get(key)
        if db is None:
            db = Database(url)
            if checked:
                db.require_current()
            _POOLS[key] = db
        return db


__all__ = [
    "AUDIT_LOCK",
    "MIGRATE_LOCK",
    "REGISTER_LOCK",
    "Database",
    "database",
    "describe",
    "is_postgres",
    "latest_version",
    "migrations",
    "one",
]
