"""One error hierarchy for the whole product; the service maps each class to an HTTP status."""
from __future__ import annotations


class StayoutError(Exception):
    """Base class: every message says what is wrong and what to do about it."""

    http_status = 500


class InputError(StayoutError):
    """The caller's input cannot be used as given."""

    http_status = 400


class TableUnusableError(InputError):
    """A whole contract table cannot be read (unreadable file, required column missing)."""

    def __init__(self, table: str, path: str, problem: str, fix: str, column: str | None = None):
        self.table = table
        self.path = path
        self.column = column
        self.problem = problem
        self.fix = fix
        where = f"{path}" + (f", column {column}" if column else "")
        super().__init__(f"table {table} ({where}): {problem}; {fix}")


class ConfigError(InputError):
    """A configuration file or option is invalid."""


class NotFoundError(StayoutError):
    """Something asked for does not exist (household, model version, file)."""

    http_status = 404
