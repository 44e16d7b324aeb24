"""Errors that report a user's mistake (a wrong path, an empty folder, one class only), and the
error of one photo that cannot be used.

The CLI prints their message without a stack trace; R shows it as an R error.
"""


class PhotoqError(ValueError):
    """A problem with the user's input, explained in the message."""


class CacheBusy(PhotoqError):
    """Another build holds the cache's lock."""


class RunBusy(PhotoqError):
    """Another training holds the run folder's lock."""


class UnusablePhoto(Exception):
    """A file with an image extension that cannot be used; the message says why.

    Not a PhotoqError: one unusable photo is skipped with its reason, not the user's mistake. It
    lives here, below the modules that open photos (camera for RAW and HEIF, images for the rest),
    so that both raise it without importing each other; pyphotoq.photos.images still exports it.
    """


def check_whole(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an int when it is a whole number from minimum to maximum (None: no upper limit);
    else PhotoqError naming `name`."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PhotoqError(f"{name} must be a whole number, got {value!r}")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")) or number != int(number):
        raise PhotoqError(f"{name} must be a whole number, got {value!r}")
    if int(number) < minimum:
        raise PhotoqError(f"{name} must be at least {minimum}, got {value!r}")
    if maximum is not None and int(number) > maximum:
        raise PhotoqError(f"{name} must be at most {maximum}, got {value!r}")
    return int(number)


def check_number(value, name: str, low=None, high=None, low_open=False, high_open=False,
                 optional=False) -> float | None:
    """`value` as a finite float within [low, high] (or open ends); else PhotoqError naming `name`."""
    import numbers

    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PhotoqError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise PhotoqError(f"{name} must be a finite number, got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low and high is None:  # one bound: said in words
        raise PhotoqError(f"{name} must be {'above' if low_open else 'at least'} {low}, got {value!r}")
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise PhotoqError(f"{name} must be in {span}, got {value!r}")
    return number
