"""What administrators read, from the API or the UI: service status, model files, feedback, audit rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.base.settings import Settings
from assistant.core.access import UI_PREFIX, signed_in_key, ui_user
from assistant.core.audited import Caller
from assistant.core.context import Context
from assistant.core.documents import documents_of
from assistant.ingest.library import Meta
from assistant.ops import models
from assistant.ops.audit import LOCAL_USER
from assistant.ops.keys import ROLES, role_allows
from assistant.ops.stores import backend_name
from assistant.search.index import index_status


def status_report(ctx: Context) -> dict:
    """Index, models, keys and audit store, for administrators (no secret in it)."""
    st = index_status(ctx.settings.index_path)
    keys = ctx.keys.records()
    return {
        "index": {k: v for k, v in st.items() if k != "documents"},
        "models": model_report(ctx.settings),
        "auth": ctx.auth_enabled(),
        "rate_per_minute": ctx.limiter.capacity,
        "keys": {"total": len(keys), "active": {r: sum(1 for k in keys if k.active and k.role == r) for r in ROLES}},
        "audit": {"path": str(ctx.audit.path), "rows": ctx.audit.count(), "retention_days": ctx.audit.retention_days},
        "storage": backend_name(ctx.settings),
    }


def upstream_report(settings: Settings) -> list[dict]:
    """The inference servers (ASSISTANT_LLM=openai): one entry for the pool, ready while one server
    answers, then one `optional` entry per server (a server down makes the pool degraded, not unready)."""
    from assistant.backends.openai_http import probe, split_urls

    urls = split_urls(settings.llm_url)
    if not urls:
        return [{"name": "openai", "ok": False, "detail": "ASSISTANT_LLM_URL non réglé"}]
    probes = [probe(u) for u in urls]
    alive = sum(ok for ok, _ in probes)
    pool = {"name": "openai", "ok": alive > 0, "detail": f"{alive}/{len(urls)} serveur(s) d'inférence joignable(s)"}
    servers = [
        {"name": f"openai-{i}", "ok": ok, "detail": detail, "optional": True}
        for i, (ok, detail) in enumerate(probes, 1)
    ]
    return [pool, *servers]


def model_report(settings: Settings) -> list[dict]:
    """Models the settings need, each with ok/detail (fake backends need none)."""
    out: list[dict] = []
    names = []
    if settings.embedder != "fake":
        names.append("embedder")
    llm = settings.llm
    if llm in models.SPECS:
        names.append(llm)
    elif llm.endswith(".gguf"):
        path = Path(llm).expanduser()
        out.append(
            {
                "name": path.name,
                "ok": path.is_file(),
                "detail": "présent" if path.is_file() else f"introuvable : {path}",
            }
        )
    elif llm == "openai":
        out.extend(upstream_report(settings))
    elif llm != "fake":
        out.append({"name": llm, "ok": False, "detail": "modèle inconnu (réglage ASSISTANT_LLM)"})
    for st in models.status(settings.models_path, names=names) if names else []:
        out.append({"name": st.name, "ok": st.verified, "detail": st.detail})
    return out


class AdminView:
    """What the UI's « Administration » tab reads (status, feedback, audit); re-indexing is not here.

    Every read is a request of its own, audited like the API's admin routes: `for_request(request)`
    gives the view bound to the signed-in administrator.
    """

    def __init__(self, ctx: Context, *, user: str = LOCAL_USER, prefix: str = UI_PREFIX):
        self._ctx = ctx
        self._user = user
        self._prefix = prefix

    def authorize(self, request: Any) -> bool:
        """Admin role required: the logged-in gradio user name is the key id (see `ui_login`)."""
        if not self._ctx.keys.exists():
            return False  # local mode: the anonymous user is an agent, as in the API
        _key_id, key = signed_in_key(self._ctx.keys, request)
        return key is not None and role_allows(key.role, "admin")

    def for_request(self, request: Any) -> AdminView:
        return AdminView(self._ctx, user=ui_user(self._ctx, request)[0], prefix=self._prefix)

    def _caller(self, what: str) -> Caller:
        return Caller(self._user, f"{self._prefix} admin {what}", "ui")

    def status(self) -> dict:
        return self._ctx.gateway.run(self._caller("status"), "admin_status", lambda: status_report(self._ctx))

    def reindex(self) -> str:
        """A new index generation built in the background, switched atomically (core/documents.py)."""
        job = self._ctx.gateway.run(
            self._caller("reindex"), "admin_reindex", lambda: documents_of(self._ctx.service).rebuild()
        )
        return (
            str(job["message"])
            + " Le service reste disponible ; « Actualiser l'état » montre la génération en service."
        )

    # ------------------------------------------------------------------ reference texts (ui/documents_section.py)

    def documents(self) -> dict:
        return self._doc_call("list", lambda d: d.list())

    def document_add(self, meta: Meta, path: Path, confirm: bool) -> dict:
        return self._doc_call("add", lambda d: d.add(meta, path, by=self._user, confirm=confirm), meta.doc_id)

    def document_replace(self, doc_id: str, path: Path, confirm: bool) -> dict:
        return self._doc_call("replace", lambda d: d.replace(doc_id, path, by=self._user, confirm=confirm), doc_id)

    def document_withdraw(self, doc_id: str, confirm: bool) -> dict:
        return self._doc_call("withdraw", lambda d: d.withdraw(doc_id, by=self._user, confirm=confirm), doc_id)

    def _doc_call(self, what: str, call: Any, doc_id: str = "") -> dict:
        docs = documents_of(self._ctx.service)
        fields = {"question": f"docs {what} {doc_id}".strip(), "refs": [f"{doc_id}:"] if doc_id else []}
        return self._ctx.gateway.run(self._caller(f"docs {what}"), f"docs_{what}", lambda: call(docs), **fields)

    def feedback_rows(self, limit: int) -> list[dict]:
        return self._ctx.gateway.run(
            self._caller("feedback"), "admin_feedback", lambda: self._ctx.audit.feedback(limit=limit)
        )

    def audit_rows(self, limit: int, query: str = "") -> list[dict]:
        """Newest rows first; `query` keeps rows whose user, endpoint, question or sources contain it."""
        return self._ctx.gateway.run(self._caller("audit"), "admin_audit", lambda: self._audit_rows(limit, query))

    def _audit_rows(self, limit: int, query: str) -> list[dict]:
        q = (query or "").strip().lower()
        if not q:
            return self._ctx.audit.rows(limit=limit)
        rows = self._ctx.audit.rows(limit=max(limit * 20, 1000))
        fields = ("user", "endpoint", "question", "refs", "answer_id")
        return [r for r in rows if q in " ".join(str(r.get(k) or "") for k in fields).lower()][:limit]


__all__ = ["AdminView", "model_report", "status_report"]
