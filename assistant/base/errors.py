"""Errors users can see. Every message says what is wrong and what to do next (in French).

AssistantError
├── ConfigError          bad setting or path
├── CorpusError          manifest or source file problem
│   └── ParseError       a document could not be parsed
├── ModelError           model file missing, wrong size or hash
├── IndexStateError          no index, or an index that does not match the corpus/models
├── BackendError         the LLM or embedder failed at run time
└── InputError           a question or request the assistant cannot take
"""

from __future__ import annotations

import logging


class AssistantError(Exception):
    """Base class: `str(err)` is a complete French message for the user."""

    exit_code = 2


class ConfigError(AssistantError):
    pass


class CorpusError(AssistantError):
    pass


class ParseError(CorpusError):
    pass


class ModelError(AssistantError):
    pass


class IndexStateError(AssistantError):
    pass


class BackendError(AssistantError):
    pass


class InputError(AssistantError):
    pass


__all__ = [
    "AssistantError",
    "BackendError",
    "ConfigError",
    "CorpusError",
    "IndexStateError",
    "InputError",
    "ModelError",
    "ParseError",
]


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log an unexpected error by type and frames only: its message may quote the question
    (personal data), so it never reaches the logs."""
    import traceback

    log.error("%s (%s)\n%s", what, type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
