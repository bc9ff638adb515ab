"""Errors users can see. Every message says what is wrong and what to do next (in French).

AssistantError
├── ConfigError          bad setting or path
├── CorpusError          manifest or source file problem
│   └── ParseError       a document could not be parsed
├── ModelError           model file missing, wrong size or hash
├── IndexStateError          no index, or an index that does not match the corpus/models
├── BackendError         the LLM or embedder failed at run time
├── InputError           a question or request the assistant cannot take
└── RefusedError         a request refused with its own status and code (unknown answer, revoked key…)

Each class carries the HTTP `status` and the stable `code` a request failing with it gets (API
JSON body, audit row): this is the one place they are decided; anything else is 500 "internal".
"""

from __future__ import annotations

import logging


class AssistantError(Exception):
    """Base class: `str(err)` is a complete French message for the user."""

    exit_code = 2
    status = 503  # HTTP status of a request that fails with this error
    code = "unavailable"  # stable code of the API's JSON error


class ConfigError(AssistantError):
    pass


class CorpusError(AssistantError):
    pass


class ParseError(CorpusError):
    pass


class ModelError(AssistantError):
    code = "model_missing"


class IndexStateError(AssistantError):
    code = "index_missing"


class BackendError(AssistantError):
    pass


class InputError(AssistantError):
    status = 422
    code = "invalid_request"


class RefusedError(AssistantError):
    """A request refused with a status and code of its own (404 not_found, 401 unauthorized, 503 busy…)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def error_status(exc: BaseException) -> tuple[int, str]:
    """(HTTP status, stable code) of a request that failed with `exc`."""
    if isinstance(exc, AssistantError):
        return exc.status, exc.code
    return 500, "internal"


__all__ = [
    "AssistantError",
    "BackendError",
    "ConfigError",
    "CorpusError",
    "IndexStateError",
    "InputError",
    "ModelError",
    "ParseError",
    "RefusedError",
    "error_status",
]


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log an unexpected error by type and frames only: its message may quote the question
    (personal data), so it never reaches the logs."""
    import traceback

    log.error("%s (%s)\n%s", what, type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
