"""One error root with a user-facing message.

Environment errors (a store that cannot be opened, a schema we do not know, a wrong
passphrase, an invalid signature) are :class:`MlopsError` subclasses: the CLI prints
their message on one line and exits 2 (or 1 for failed checks); the GUI shows them in a
dialog. Anything else is a bug and goes to the crash handler.
"""

from __future__ import annotations


class MlopsError(Exception):
    """An expected problem with what the user gave us, with a message that says what to do."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} {self.hint}"
        return self.message


class StoreError(MlopsError):
    """A metadata store cannot be opened or read (missing, unreachable, foreign, corrupt)."""


class SchemaError(StoreError):
    """The store is reachable but its schema is not one we can read."""


class UsageError(MlopsError):
    """The command line or a request does not make sense."""


class CancelledError(MlopsError):
    """The user cancelled a long operation."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


class CheckFailed(MlopsError):
    """A verification, policy or findings check did not pass (CLI exit code 1)."""

    exit_code = 1
