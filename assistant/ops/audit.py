"""Append-only audit trail, rows chained by hash: SQLite here (setting ASSISTANT_AUDIT_PATH), PostgreSQL
in `audit_pg.py` (setting ASSISTANT_DATABASE_URL; `ops/stores.py` picks one).

One row per request, written before the response leaves: time (UTC), pseudonymous
user, endpoint, HTTP status, the question *after* personal-data redaction, cited refs,
abstention, model, corpus version, latency, energy, answer id. The database runs in
WAL mode with `synchronous=FULL`, so a committed row survives a crash or power loss.

Chain: each row stores `prev_hash` (the previous row's hash, or 64 zeros for the first
row ever) and `hash` = SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of
its fields plus `prev_hash`. Changing, inserting or deleting a row breaks the chain at
that row; `verify()` walks it and reports the first broken row. Triggers refuse UPDATE,
and DELETE outside `purge()`. (Whoever can write the file can rebuild a whole chain: keep
the head hash printed by `assistant audit verify` somewhere else to detect that.)

Purge (retention, `audit_retention_days`): in one transaction, a marker row (kind
"purge") is appended whose detail holds `through_id`, the id of the last purged row, and
`anchor`, that row's hash; then rows up to `through_id` are deleted (a one-row
`purge_gate` table opens the delete trigger inside the transaction only). The first
remaining row then has `prev_hash == anchor` and `id == through_id + 1`, which `verify()`
accepts as a legitimate start of chain; any other start is reported.

Users are pseudonymous: the first 16 hex of HMAC-SHA256(key id) with a per-installation
secret kept beside the database (`audit.secret`, mode 600); "local" when auth is off, "cli"
for the command line. Rows are written by the one audited path (core/audited.py), whatever
the entry point: API, UI or CLI.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.base.errors import ConfigError
from assistant.base.settings import Settings
from assistant.ops.redact import redact

GENESIS = "0" * 64
LOCAL_USER = "local"
MAX_TEXT = 2000
MAX_REF = 200
_HEX_ID = re.compile(r"[0-9a-f]{32}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Fields covered by the hash, in the table's column order (id excluded: the chain orders rows).
FIELDS = (
    "kind", "ts", "user", "endpoint", "status", "question", "refs", "abstained", "model",
    "corpus_version", "latency_ms", "energy_wh", "answer_id", "detail",
)  # fmt: skip
# Fields added later: a column added to older databases when opened, hashed only when set, so
# that the rows written before it keep their hash.
LATER_FIELDS = ("conversation_id",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ts TEXT NOT NULL,
    user TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    status INTEGER,
    question TEXT,
    refs TEXT NOT NULL,
    abstained INTEGER,
    model TEXT,
    corpus_version TEXT,
    latency_ms REAL,
    energy_wh REAL,
    answer_id TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_answer ON audit (answer_id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    user TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    useful INTEGER NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts);
CREATE TABLE IF NOT EXISTS purge_gate (open INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul : modification interdite'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
WHEN NOT EXISTS (SELECT 1 FROM purge_gate)
BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul : suppression seulement par assistant audit purge'); END;
CREATE TRIGGER IF NOT EXISTS audit_chain_insert BEFORE INSERT ON audit
WHEN NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), NEW.prev_hash)
BEGIN SELECT RAISE(ABORT, 'journal d''audit : prev_hash ne suit pas la dernière ligne'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'avis en ajout seul : modification interdite'); END;
"""


def open_durable(path: Path, schema: str, *, what: str, setting: str) -> sqlite3.Connection:
    """An SQLite file (created 0600) in WAL mode with synchronous=FULL, `schema` applied: a committed
    transaction survives a crash or a power cut. Autocommit: writers open their own transactions."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"{what} inutilisable ({path} : {exc}). Vérifiez le dossier et ses droits "
            f"(réglage {setting} ou ASSISTANT_VAR_DIR)."
        ) from None
    return db


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """Fixed-width UTC ISO 8601 (sortable as text): 2026-11-27T17:50:00.123Z."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_since(value: str) -> str:
    """A user's date or date-time (ISO 8601, naive = UTC) as an audit timestamp."""
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"date invalide « {value[:40]} » : attendu AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return iso(dt)


def row_hash(fields: dict, prev_hash: str) -> str:
    payload = {k: fields.get(k) for k in FIELDS} | {"prev_hash": prev_hash}
    payload |= {k: fields[k] for k in LATER_FIELDS if fields.get(k) is not None}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    rows: int
    head: str  # hash of the last row (note it elsewhere to detect a rebuilt chain)
    broken_id: int | None = None
    reason: str = ""

    def render(self) -> str:
        if self.ok:
            return f"Journal d'audit intègre : {self.rows} ligne(s), empreinte de tête {self.head}."
        return f"Journal d'audit altéré à la ligne {self.broken_id} : {self.reason}."


@dataclass(frozen=True)
class PurgeReport:
    deleted: int
    feedback_deleted: int
    through_id: int | None
    cutoff: str


def _float(x: float | int | None) -> float | None:
    # Stored as REAL: hash the float SQLite gives back, never an int.
    return None if x is None else round(float(x), 6)


class AuditTrail:
    """What every audit backend shares: the row contents (redaction, limits), pseudonyms, the chain walk.

    A backend stores rows and serialises writers through its database: SQLite (`AuditLog`, below)
    or PostgreSQL (`audit_pg.PgAuditLog`). It implements `_append_request`, `_insert_feedback`,
    `_chain_rows`, `_purge_through`, `_secret_value` and the reads."""

    path: Path | str  # where the rows are (shown to administrators; never a password)

    def __init__(self, *, retention_days: int = 365, clock: Callable[[], datetime] = utc_now):
        self.retention_days = retention_days
        self._clock = clock
        self._secret: bytes | None = None
        self._secret_lock = threading.Lock()

    def close(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ pseudonyms

    def _key(self) -> bytes:
        with self._secret_lock:
            if self._secret is None:
                self._secret = self._secret_value()
            return self._secret

    def _secret_value(self) -> bytes:
        """The per-installation secret of the pseudonyms (created on first use)."""
        raise NotImplementedError

    def pseudonym(self, key_id: str | None) -> str:
        if not key_id:
            return LOCAL_USER
        return hmac.new(self._key(), key_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    # ------------------------------------------------------------------ writing

    def _append_request(self, fields: dict) -> int:
        """Append one chained row and commit it durably, serialised with every other writer; its id."""
        raise NotImplementedError

    def _insert_feedback(self, row: dict) -> int:
        raise NotImplementedError

    def record(
        self,
        *,
        user: str,
        endpoint: str,
        status: int,
        question: str | None = None,
        refs: Iterable[str] = (),
        abstained: bool | None = None,
        model: str | None = None,
        corpus_version: str | None = None,
        latency_ms: float | None = None,
        energy_wh: float | None = None,
        answer_id: str | None = None,
        conversation_id: str | None = None,
    ) -> int:
        """Append a request row (the question is redacted here) and commit it durably; returns its id."""
        fields = {
            "kind": "request",
            "ts": iso(self._clock()),
            "user": user,
            "endpoint": endpoint,
            "status": int(status),
            "question": redact(question)[:MAX_TEXT] if question else None,
            # refs and answer_id may be what a client typed (unknown unit, unknown answer): redacted too
            "refs": json.dumps([redact(str(r))[:MAX_REF] for r in refs], ensure_ascii=False),
            "abstained": None if abstained is None else int(bool(abstained)),
            "model": model,
            "corpus_version": corpus_version,
            "latency_ms": _float(latency_ms),
            "energy_wh": _float(energy_wh),
            "answer_id": answer_id if not answer_id or _UUID.fullmatch(answer_id) else redact(answer_id)[:MAX_REF],
            "detail": None,
            # a client may send any text as a conversation id (an unknown one is refused and audited)
            "conversation_id": conversation_id
            if not conversation_id or _HEX_ID.fullmatch(conversation_id)
            else redact(conversation_id)[:MAX_REF],
        }
        return self._append_request(fields)

    def record_answer(
        self, *, user: str, endpoint: str, status: int, question: str, out: dict, latency_ms: float
    ) -> int:
        """Row for an ask/assess response dict (contract of PRODUCT.md)."""
        model = out.get("model") or {}
        return self.record(
            user=user,
            endpoint=endpoint,
            status=status,
            question=question,
            refs=[f"{c.get('doc_id')}:{c.get('ref')}" for c in out.get("citations") or []],
            abstained=bool(out.get("abstained")),
            model=model.get("llm"),
            corpus_version=model.get("corpus_version"),
            latency_ms=latency_ms,
            energy_wh=(out.get("energy") or {}).get("wh"),
            answer_id=out.get("answer_id"),
            conversation_id=out.get("conversation_id"),
        )

    def add_feedback(self, *, user: str, answer_id: str, useful: bool, comment: str = "") -> dict:
        row = {
            "ts": iso(self._clock()),
            "user": user,
            "answer_id": answer_id,
            "useful": int(bool(useful)),
            "comment": redact(comment)[:MAX_TEXT] if comment else "",
        }
        row_id = self._insert_feedback(row)
        return {"id": row_id, **row, "useful": bool(row["useful"])}

    # ------------------------------------------------------------------ reading

    def has_answer(self, answer_id: str) -> bool:
        raise NotImplementedError

    def answer_row(self, answer_id: str) -> dict | None:
        """The row of an answer (user, endpoint, refs, abstained), None if this trail holds none."""
        raise NotImplementedError

    def rows(self, limit: int = 100, since: str | None = None) -> list[dict]:
        """Newest rows first (`since`: an audit timestamp, see `parse_since`)."""
        raise NotImplementedError

    def feedback(self, limit: int = 100) -> list[dict]:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def _chain_rows(self) -> list[dict]:
        """Every row (id, FIELDS, prev_hash, hash), oldest first."""
        raise NotImplementedError

    def verify(self) -> VerifyReport:
        """Walk the chain from the first row; report the first row whose hash or link is wrong."""
        return verify_chain(self._chain_rows())

    # ------------------------------------------------------------------ retention

    def _purge_through(self, cutoff: str, now: datetime, days: int) -> tuple[int, int, int | None]:
        """In one serialised transaction: a purge marker, then delete the rows and feedback before
        `cutoff`. Returns (rows deleted, feedback deleted, through_id)."""
        raise NotImplementedError

    def purge(self, older_than_days: int | None = None) -> PurgeReport:
        """Delete rows and feedback older than the retention, keeping the chain verifiable."""
        days = self.retention_days if older_than_days is None else older_than_days
        if days < 0:
            raise ValueError("older_than_days must be >= 0")
        now = self._clock()
        cutoff = iso(now - timedelta(days=days))
        deleted, fb, through = self._purge_through(cutoff, now, days)
        return PurgeReport(deleted, fb, through, cutoff)


def chained(fields: dict, prev: str) -> dict:
    """The column values of a row appended after the row whose hash is `prev`."""
    values = {k: fields.get(k) for k in (*FIELDS, *LATER_FIELDS)}
    values["hash"] = row_hash(values, prev)
    values["prev_hash"] = prev
    return values


def purge_marker(through: int, anchor: str, deleted: int, days: int, now: datetime) -> dict:
    """The fields of the row a purge appends before deleting (its detail anchors the rest of the chain)."""
    detail = {"through_id": through, "anchor": anchor, "deleted": deleted, "older_than_days": days}
    return {
        "kind": "purge",
        "ts": iso(now),
        "user": "system",
        "endpoint": "purge",
        "refs": "[]",
        "detail": json.dumps(detail, sort_keys=True),
    }


def verify_chain(rows: list[dict]) -> VerifyReport:
    """The check of `verify()` over every row, oldest first (whatever the backend)."""
    anchors: set[tuple[int, str]] = set()
    for r in rows:
        if r["kind"] == "purge":
            try:
                d = json.loads(r["detail"])
                anchors.add((int(d["through_id"]), str(d["anchor"])))
            except (TypeError, ValueError, KeyError):
                pass  # a damaged marker is reported by its hash below
    prev: dict | None = None
    for r in rows:
        fields = {k: r.get(k) for k in (*FIELDS, *LATER_FIELDS)}
        if row_hash(fields, r["prev_hash"]) != r["hash"]:
            return VerifyReport(False, len(rows), "", r["id"], "contenu modifié (l'empreinte ne correspond plus)")
        if prev is None:
            if r["prev_hash"] != GENESIS and (r["id"] - 1, r["prev_hash"]) not in anchors:
                return VerifyReport(
                    False, len(rows), "", r["id"], "début de chaîne inconnu (lignes supprimées hors purge)"
                )
        elif r["prev_hash"] != prev["hash"]:
            return VerifyReport(False, len(rows), "", r["id"], "chaînage rompu (ligne supprimée, insérée ou déplacée)")
        prev = r
    return VerifyReport(True, len(rows), prev["hash"] if prev else GENESIS)


def decode_row(d: dict) -> dict:
    """A stored audit row as readers get it (JSON columns decoded, abstention as a bool)."""
    d["refs"] = json.loads(d["refs"] or "[]")
    d["detail"] = json.loads(d["detail"]) if d["detail"] else None
    d["abstained"] = None if d["abstained"] is None else bool(d["abstained"])
    return d


class AuditLog(AuditTrail):
    """The embedded backend: one SQLite file in WAL mode, synchronous=FULL; writers serialised by
    `BEGIN IMMEDIATE` (SQLite's write lock, shared by every process that opens the file)."""

    path: Path

    def __init__(
        self,
        path: Path,
        *,
        secret_path: Path | None = None,
        retention_days: int = 365,
        clock: Callable[[], datetime] = utc_now,
    ):
        super().__init__(retention_days=retention_days, clock=clock)
        self.path = Path(path)
        self.secret_path = Path(secret_path) if secret_path else self.path.with_name("audit.secret")
        self._lock = threading.Lock()
        self._db = open_durable(self.path, _SCHEMA, what="Journal d'audit", setting="ASSISTANT_AUDIT_PATH")
        try:
            have = {r["name"] for r in self._db.execute("PRAGMA table_info(audit)")}
            for name in LATER_FIELDS:
                if name not in have:  # a database of an earlier version: the column is added, rows untouched
                    self._db.execute(f"ALTER TABLE audit ADD COLUMN {name} TEXT")
        except sqlite3.Error as exc:
            raise ConfigError(
                f"Journal d'audit inutilisable ({self.path} : {exc}). Vérifiez le dossier et ses droits "
                "(réglage ASSISTANT_AUDIT_PATH ou ASSISTANT_VAR_DIR)."
            ) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        return cls(settings.audit_file, retention_days=int(settings.audit_retention_days))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _secret_value(self) -> bytes:
        """Read the installation secret; create it atomically (write aside, then link) if absent."""
        try:
            return bytes.fromhex(self.secret_path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            pass
        tmp = self.secret_path.with_name(f".{self.secret_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_bytes(32).hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, self.secret_path)  # fails if another process created it first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return bytes.fromhex(self.secret_path.read_text(encoding="ascii").strip())

    # ------------------------------------------------------------------ writing

    def _append(self, fields: dict) -> int:
        """Insert one chained row (caller holds the lock and an open IMMEDIATE transaction)."""
        head = self._db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        values = chained(fields, head["hash"] if head else GENESIS)
        cols = (*FIELDS, *LATER_FIELDS, "prev_hash", "hash")
        cur = self._db.execute(
            f"INSERT INTO audit ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [values[c] for c in cols],
        )
        return int(cur.lastrowid or 0)

    def _append_request(self, fields: dict) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row_id = self._append(fields)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return row_id

    def _insert_feedback(self, row: dict) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO feedback (ts, user, answer_id, useful, comment) VALUES (?, ?, ?, ?, ?)",
                [row["ts"], row["user"], row["answer_id"], row["useful"], row["comment"]],
            )
        return int(cur.lastrowid or 0)

    # ------------------------------------------------------------------ reading

    def has_answer(self, answer_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM audit WHERE answer_id = ? LIMIT 1", [answer_id]).fetchone() is not None
            )

    def answer_row(self, answer_id: str) -> dict | None:
        with self._lock:
            r = self._db.execute(
                "SELECT user, endpoint, refs, abstained FROM audit WHERE answer_id = ? ORDER BY id DESC LIMIT 1",
                [answer_id],
            ).fetchone()
        if r is None:
            return None
        return {**dict(r), "refs": json.loads(r["refs"] or "[]"), "abstained": bool(r["abstained"])}

    def rows(self, limit: int = 100, since: str | None = None) -> list[dict]:
        sql = "SELECT * FROM audit" + (" WHERE ts >= ?" if since else "") + " ORDER BY id DESC LIMIT ?"
        with self._lock:
            got = self._db.execute(sql, [since, limit] if since else [limit]).fetchall()
        return [decode_row(dict(r)) for r in got]

    def feedback(self, limit: int = 100) -> list[dict]:
        with self._lock:
            got = self._db.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", [limit]).fetchall()
        return [dict(r) | {"useful": bool(r["useful"])} for r in got]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def _chain_rows(self) -> list[dict]:
        with self._lock:
            got = self._db.execute(
                f"SELECT id, {', '.join((*FIELDS, *LATER_FIELDS))}, prev_hash, hash FROM audit ORDER BY id"
            ).fetchall()
        return [dict(r) for r in got]

    # ------------------------------------------------------------------ retention

    def _purge_through(self, cutoff: str, now: datetime, days: int) -> tuple[int, int, int | None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                last = self._db.execute(
                    "SELECT id, hash FROM audit WHERE id = (SELECT MAX(id) FROM audit WHERE ts < ?)", [cutoff]
                ).fetchone()
                deleted = 0
                through = None
                if last is not None:
                    through = int(last["id"])
                    deleted = int(self._db.execute("SELECT COUNT(*) FROM audit WHERE id <= ?", [through]).fetchone()[0])
                    self._append(purge_marker(through, last["hash"], deleted, days, now))
                    self._db.execute("INSERT INTO purge_gate (open) VALUES (1)")
                    self._db.execute("DELETE FROM audit WHERE id <= ?", [through])
                    self._db.execute("DELETE FROM purge_gate")
                fb = self._db.execute("DELETE FROM feedback WHERE ts < ?", [cutoff]).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return deleted, int(fb or 0), through


__all__ = [
    "FIELDS",
    "GENESIS",
    "LATER_FIELDS",
    "LOCAL_USER",
    "AuditLog",
    "AuditTrail",
    "PurgeReport",
    "VerifyReport",
    "chained",
    "decode_row",
    "iso",
    "open_durable",
    "parse_since",
    "purge_marker",
    "row_hash",
    "verify_chain",
]
