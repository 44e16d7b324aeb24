"""Errors that report a user's mistake (a wrong path, an empty folder, one class only).

The CLI prints their message without a stack trace; R shows it as an R error.
"""


class PhotoqError(ValueError):
    """A problem with the user's input, explained in the message."""


class CacheBusy(PhotoqError):
    """Another build holds the cache's lock."""
