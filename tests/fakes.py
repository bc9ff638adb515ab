"""Small fakes shared by the tests."""

from __future__ import annotations


class Scripted(dict):
    """A scripted service result: the JSON form written by hand, with the typed result's `to_json()`."""

    def to_json(self) -> dict:
        return dict(self)
