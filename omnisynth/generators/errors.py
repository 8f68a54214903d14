"""Errors a generator raises for one sample; the render stage quarantines the sample with the reason."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (a corrupt file, a page that hangs): `reason` is short and countable, the message says why."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class GroundTruthError(RuntimeError):
    """The rendered media does not read back as the plan says: a generator bug, never hidden."""
