"""Who is behind a UI request, and the audited session each request gets.

The UI logs in with gradio's auth: user name = the key id, password = the API key (`ui_login`).
Each request then acts under the key's audit pseudonym; "local" only when the UI runs without
login (no key existed when the server started: it then listens on loopback only).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from assistant.base.errors import RefusedError
from assistant.core.audited import Session
from assistant.core.context import Context
from assistant.core.register import RegisterSession
from assistant.ops.audit import LOCAL_USER
from assistant.ops.keys import ApiKey, KeyStore
from assistant.register.lifecycle import Actor

UI_PREFIX = "UI /ui"
REVOKED = "Votre clé d'API n'est plus valide (révoquée) : reconnectez-vous avec une clé active."


def ui_login(keys: KeyStore) -> Callable[[str, str], bool] | None:
    """For gradio's `auth=`: user name = key id, password = the API key; None while no key exists (local mode)."""
    if not keys.exists():
        return None

    def check(username: str, password: str) -> bool:
        key = keys.authenticate(password)
        return key is not None and hmac.compare_digest(key.id, (username or "").strip())

    return check


def signed_in_key(keys: KeyStore, request: Any) -> tuple[str, ApiKey | None]:
    """(key id the UI request was signed in with, or "" without login; that key if it is still active)."""
    key_id = str(getattr(request, "username", "") or "").strip()
    if not key_id:
        return "", None
    return key_id, next((k for k in keys.records() if k.id == key_id and k.active), None)


def ui_user(ctx: Context, request: Any) -> tuple[str, Exception | None]:
    """(audit pseudonym of the person behind a UI request, the refusal when their key was revoked since login)."""
    key_id, key = signed_in_key(ctx.keys, request)
    if not key_id:
        return LOCAL_USER, None
    refusal = None if key is not None else RefusedError(401, "unauthorized", REVOKED)
    return ctx.audit.pseudonym(key_id), refusal


class UiSessions:
    """`sessions(request)`: the gateway as the user of that UI request sees it (every call audited under them)."""

    def __init__(self, ctx: Context, *, prefix: str = UI_PREFIX):
        self._ctx = ctx
        self._prefix = prefix

    def __call__(self, request: Any) -> Session:
        user, refusal = ui_user(self._ctx, request)
        return self._ctx.gateway.session(user, channel="ui", prefix=self._prefix, refusal=refusal)


class RegisterSessions:
    """`register_sessions(request)`: the register as the signed-in user of a UI request may use it.

    The role is the key's (agent, trainer, referent, admin); without login (local mode, no key yet)
    the user is an agent, as in the API: nobody decides until keys exist.
    """

    def __init__(self, ctx: Context, *, prefix: str = UI_PREFIX):
        self._ctx = ctx
        self._prefix = prefix

    def __call__(self, request: Any) -> RegisterSession:
        user, refusal = ui_user(self._ctx, request)
        _key_id, key = signed_in_key(self._ctx.keys, request)
        role = key.role if key is not None else "agent"
        return RegisterSession(
            self._ctx.register, Actor(user, role), channel="ui", prefix=self._prefix, refusal=refusal
        )


__all__ = ["UI_PREFIX", "RegisterSessions", "UiSessions", "signed_in_key", "ui_login", "ui_user"]
