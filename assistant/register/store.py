"""Where entries live: a small repository interface and its SQLite implementation (setting
ASSISTANT_REGISTER_PATH, default <var_dir>/register.sqlite3).

The store is an append-only log of versions: each change of an entry is a new row holding the whole
entry as it is after the change, with the action, the time and the pseudonymous user. Nothing is
updated or deleted (triggers refuse it); rows are chained by hash like the audit trail
(ops/audit.py): `hash` = SHA-256 of the canonical JSON of the row's fields and `prev_hash`, so
`verify()` finds a changed, inserted or removed row. Durability is the audit's: WAL and
`synchronous=FULL`, one IMMEDIATE transaction per change, so a change acknowledged to its caller
survives a crash or a power cut (tests/test_register_crash.py kills writers with SIGKILL).

`Repository` is what the rest of the code uses. `store_pg.PgRegister` implements it on PostgreSQL
(ASSISTANT_DATABASE_URL) with the same rows, hash and guarantees; both use the helpers below
(`row_fields`, `version_hash`, `new_id`, `conflict`, `check_chain`), so the two chains are the same
computation. `core/stores.py` picks the backend.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.base.errors import RefusedError
from assistant.ops.audit import GENESIS, iso, open_durable, utc_now
from assistant.register.entry import Entry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    ts TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE TRIGGER IF NOT EXISTS versions_no_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : modification interdite'); END;
CREATE TRIGGER IF NOT EXISTS versions_no_delete BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : suppression interdite'); END;
CREATE TRIGGER IF NOT EXISTS versions_chain BEFORE INSERT ON versions
WHEN NEW.prev_hash IS NOT COALESCE((SELECT hash FROM versions ORDER BY seq DESC LIMIT 1), NEW.prev_hash)
BEGIN SELECT RAISE(ABORT, 'registre : prev_hash ne suit pas la dernière ligne'); END;
"""
FIELDS = ("entry_id", "version", "ts", "user", "action", "entry")  # hashed, with prev_hash


@dataclass(frozen=True)
class Version:
    """One row of an entry's history."""

    entry: Entry
    ts: str
    user: str
    action: str


class Repository(Protocol):
    def create(self, build: Callable[[str], Entry], *, user: str, action: str = "create") -> Entry:
        """Allocate the next id, build version 1 with it and store it, atomically."""
        ...

    def append(self, entry: Entry, *, user: str, action: str) -> Entry:
        """Store `entry` (version n); refused with 409 unless version n-1 is the entry's latest."""
        ...

    def get(self, entry_id: str) -> Entry | None: ...

    def latest(self) -> list[Entry]: ...

    def history(self, entry_id: str) -> list[Version]: ...

    def verify(self) -> tuple[bool, int, str]:
        """(intact, rows, French report) of the stored history."""
        ...

    def now(self) -> str:
        """The store's clock (audit timestamp format)."""
        ...

    def close(self) -> None: ...


def version_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 of the canonical JSON of a row's FIELDS and the previous row's hash."""
    payload = {k: fields[k] for k in FIELDS} | {"prev_hash": prev_hash}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def row_fields(entry: Entry, ts: str, user: str, action: str) -> dict[str, Any]:
    """The hashed fields of the row storing `entry` (the entry as the exact JSON text that is hashed)."""
    return {
        "entry_id": entry.id,
        "version": entry.version,
        "ts": ts,
        "user": user,
        "action": action,
        "entry": json.dumps(entry.to_json(), sort_keys=True, ensure_ascii=False),
    }


def year_prefix(now: str) -> str:
    """What the ids of the entries created in the year of `now` (store clock) start with."""
    return f"IA-{now[:4]}-"


def new_id(now: str, taken: int) -> str:
    """The id of the next entry of the year of `now`, after `taken` entries of that year."""
    return f"{year_prefix(now)}{taken + 1:04d}"


def conflict(entry_id: str, current: int) -> RefusedError:
    return RefusedError(
        409,
        "conflict",
        f"L'entrée {entry_id} a changé entre-temps (version {current}) : rechargez-la et recommencez.",
    )


def check_chain(rows: Sequence[Mapping[str, Any]]) -> tuple[bool, int, str]:
    """(intact, rows, French report) of all the rows in chain order, each with seq, FIELDS, prev_hash and hash:
    the walk from the first row finds a changed, inserted or removed row."""
    prev = GENESIS
    for r in rows:
        if r["prev_hash"] != prev or version_hash(r, r["prev_hash"]) != r["hash"]:
            return False, len(rows), f"Registre altéré à la ligne {r['seq']} (empreinte ou chaînage)."
        prev = r["hash"]
    return True, len(rows), f"Registre intègre : {len(rows)} version(s), empreinte de tête {prev}."


class SqliteRegister:
    """The Repository in one SQLite file (single-machine set-up)."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now):
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = open_durable(
            self.path, _SCHEMA, what="Registre des usages de l'IA", setting="ASSISTANT_REGISTER_PATH"
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def now(self) -> str:
        return iso(self._clock())

    # ------------------------------------------------------------------ writing

    def _insert(self, entry: Entry, user: str, action: str) -> None:
        """Caller holds the lock and an open IMMEDIATE transaction."""
        head = self._db.execute("SELECT hash FROM versions ORDER BY seq DESC LIMIT 1").fetchone()
        prev = head["hash"] if head else GENESIS
        fields = row_fields(entry, self.now(), user, action)
        cols = (*FIELDS, "prev_hash", "hash")
        values = [*(fields[k] for k in FIELDS), prev, version_hash(fields, prev)]
        self._db.execute(f"INSERT INTO versions ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", values)

    def _write(self, work: Callable[[], Entry]) -> Entry:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = work()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return out

    def create(self, build: Callable[[str], Entry], *, user: str, action: str = "create") -> Entry:
        def work() -> Entry:
            now = self.now()
            n = self._db.execute(
                "SELECT COUNT(DISTINCT entry_id) FROM versions WHERE entry_id LIKE ?", [year_prefix(now) + "%"]
            ).fetchone()[0]
            entry = build(new_id(now, int(n)))
            self._insert(entry, user, action)
            return entry

        return self._write(work)

    def append(self, entry: Entry, *, user: str, action: str) -> Entry:
        def work() -> Entry:
            row = self._db.execute("SELECT MAX(version) FROM versions WHERE entry_id = ?", [entry.id]).fetchone()
            current = int(row[0] or 0)
            if current != entry.version - 1:
                raise conflict(entry.id, current)
            self._insert(entry, user, action)
            return entry

        return self._write(work)

    # ------------------------------------------------------------------ reading

    def get(self, entry_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT entry FROM versions WHERE entry_id = ? ORDER BY version DESC LIMIT 1", [entry_id]
            ).fetchone()
        return Entry.from_json(json.loads(row["entry"])) if row else None

    def latest(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT v.entry FROM versions v JOIN (SELECT entry_id, MAX(version) AS top FROM versions "
                "GROUP BY entry_id) m ON v.entry_id = m.entry_id AND v.version = m.top ORDER BY v.seq"
            ).fetchall()
        return [Entry.from_json(json.loads(r["entry"])) for r in rows]

    def history(self, entry_id: str) -> list[Version]:
        with self._lock:
            rows = self._db.execute(
                "SELECT entry, ts, user, action FROM versions WHERE entry_id = ? ORDER BY version", [entry_id]
            ).fetchall()
        return [Version(Entry.from_json(json.loads(r["entry"])), r["ts"], r["user"], r["action"]) for r in rows]

    def verify(self) -> tuple[bool, int, str]:
        """(chain intact, rows, French report): walks the chain from the first row."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT seq, {', '.join(FIELDS)}, prev_hash, hash FROM versions ORDER BY seq"
            ).fetchall()
        return check_chain(rows)


__all__ = [
    "FIELDS",
    "Repository",
    "SqliteRegister",
    "Version",
    "check_chain",
    "conflict",
    "new_id",
    "row_fields",
    "version_hash",
    "year_prefix",
]
