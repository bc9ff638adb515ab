"""Append-only audit trail in SQLite, rows chained by hash (setting ASSISTANT_AUDIT_PATH).

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
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Fields covered by the hash, in the table's column order (id excluded: the chain orders rows).
FIELDS = (
    "kind", "ts", "user", "endpoint", "status", "question", "refs", "abstained", "model",
    "corpus_version", "latency_ms", "energy_wh", "answer_id", "detail",
)  # fmt: skip

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


class AuditLog:
    def __init__(
        self,
        path: Path,
        *,
        secret_path: Path | None = None,
        retention_days: int = 365,
        clock: Callable[[], datetime] = utc_now,
    ):
        self.path = Path(path)
        self.secret_path = Path(secret_path) if secret_path else self.path.with_name("audit.secret")
        self.retention_days = retention_days
        self._clock = clock
        self._lock = threading.Lock()
        self._secret: bytes | None = None
        self._secret_lock = threading.Lock()
        self._db = open_durable(self.path, _SCHEMA, what="Journal d'audit", setting="ASSISTANT_AUDIT_PATH")

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        return cls(settings.audit_file, retention_days=int(settings.audit_retention_days))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ pseudonyms

    def _key(self) -> bytes:
        with self._secret_lock:
            if self._secret is None:
                self._secret = self._load_or_create_secret()
            return self._secret

    def _load_or_create_secret(self) -> bytes:
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

    def pseudonym(self, key_id: str | None) -> str:
        if not key_id:
            return LOCAL_USER
        return hmac.new(self._key(), key_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    # ------------------------------------------------------------------ writing

    def _append(self, fields: dict) -> int:
        """Insert one chained row (caller holds the lock and an open IMMEDIATE transaction)."""
        head = self._db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        prev = head["hash"] if head else GENESIS
        values = {k: fields.get(k) for k in FIELDS}
        values["hash"] = row_hash(values, prev)
        values["prev_hash"] = prev
        cols = (*FIELDS, "prev_hash", "hash")
        cur = self._db.execute(
            f"INSERT INTO audit ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [values[c] for c in cols],
        )
        return int(cur.lastrowid or 0)

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
        }
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row_id = self._append(fields)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return row_id

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
        )

    def add_feedback(self, *, user: str, answer_id: str, useful: bool, comment: str = "") -> dict:
        row = {
            "ts": iso(self._clock()),
            "user": user,
            "answer_id": answer_id,
            "useful": int(bool(useful)),
            "comment": redact(comment)[:MAX_TEXT] if comment else "",
        }
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO feedback (ts, user, answer_id, useful, comment) VALUES (?, ?, ?, ?, ?)",
                [row["ts"], row["user"], row["answer_id"], row["useful"], row["comment"]],
            )
        return {"id": cur.lastrowid, **row, "useful": bool(row["useful"])}

    def has_answer(self, answer_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM audit WHERE answer_id = ? LIMIT 1", [answer_id]).fetchone() is not None
            )

    # ------------------------------------------------------------------ reading

    def rows(self, limit: int = 100, since: str | None = None) -> list[dict]:
        """Newest rows first (`since`: an audit timestamp, see `parse_since`)."""
        sql = "SELECT * FROM audit" + (" WHERE ts >= ?" if since else "") + " ORDER BY id DESC LIMIT ?"
        with self._lock:
            got = self._db.execute(sql, [since, limit] if since else [limit]).fetchall()
        out = []
        for r in got:
            d = dict(r)
            d["refs"] = json.loads(d["refs"] or "[]")
            d["detail"] = json.loads(d["detail"]) if d["detail"] else None
            d["abstained"] = None if d["abstained"] is None else bool(d["abstained"])
            out.append(d)
        return out

    def feedback(self, limit: int = 100) -> list[dict]:
        with self._lock:
            got = self._db.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", [limit]).fetchall()
        return [dict(r) | {"useful": bool(r["useful"])} for r in got]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def verify(self) -> VerifyReport:
        """Walk the chain from the first row; report the first row whose hash or link is wrong."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, {', '.join(FIELDS)}, prev_hash, hash FROM audit ORDER BY id"
            ).fetchall()
        anchors: set[tuple[int, str]] = set()
        for r in rows:
            if r["kind"] == "purge":
                try:
                    d = json.loads(r["detail"])
                    anchors.add((int(d["through_id"]), str(d["anchor"])))
                except (TypeError, ValueError, KeyError):
                    pass  # a damaged marker is reported by its hash below
        prev: sqlite3.Row | None = None
        for r in rows:
            fields = {k: r[k] for k in FIELDS}
            if row_hash(fields, r["prev_hash"]) != r["hash"]:
                return VerifyReport(False, len(rows), "", r["id"], "contenu modifié (l'empreinte ne correspond plus)")
            if prev is None:
                if r["prev_hash"] != GENESIS and (r["id"] - 1, r["prev_hash"]) not in anchors:
                    return VerifyReport(
                        False, len(rows), "", r["id"], "début de chaîne inconnu (lignes supprimées hors purge)"
                    )
            elif r["prev_hash"] != prev["hash"]:
                return VerifyReport(
                    False, len(rows), "", r["id"], "chaînage rompu (ligne supprimée, insérée ou déplacée)"
                )
            prev = r
        return VerifyReport(True, len(rows), prev["hash"] if prev else GENESIS)

    # ------------------------------------------------------------------ retention

    def purge(self, older_than_days: int | None = None) -> PurgeReport:
        """Delete rows and feedback older than the retention, keeping the chain verifiable."""
        days = self.retention_days if older_than_days is None else older_than_days
        if days < 0:
            raise ValueError("older_than_days must be >= 0")
        now = self._clock()
        cutoff = iso(now - timedelta(days=days))
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
                    detail = {
                        "through_id": through,
                        "anchor": last["hash"],
                        "deleted": deleted,
                        "older_than_days": days,
                    }
                    self._append(
                        {
                            "kind": "purge",
                            "ts": iso(now),
                            "user": "system",
                            "endpoint": "purge",
                            "refs": "[]",
                            "detail": json.dumps(detail, sort_keys=True),
                        }
                    )
                    self._db.execute("INSERT INTO purge_gate (open) VALUES (1)")
                    self._db.execute("DELETE FROM audit WHERE id <= ?", [through])
                    self._db.execute("DELETE FROM purge_gate")
                fb = self._db.execute("DELETE FROM feedback WHERE ts < ?", [cutoff]).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return PurgeReport(deleted, int(fb or 0), through, cutoff)


__all__ = [
    "GENESIS",
    "LOCAL_USER",
    "AuditLog",
    "PurgeReport",
    "VerifyReport",
    "iso",
    "open_durable",
    "parse_since",
    "row_hash",
]
