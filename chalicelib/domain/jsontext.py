"""Reading JSON that a client wrote (bodies, query options, cursors) without letting the parser's
own limits escape as server errors.

``json.loads`` raises ``RecursionError`` for nesting deeper than the interpreter's recursion limit
(about a thousand levels), ``ValueError`` for an integer literal of more than 4,300 digits, and
accepts ``NaN``/``Infinity`` (not JSON) and floats that overflow to infinity, which could then be
stored and sent back as invalid JSON. Every one of them is a ``ValueError`` here, with a message
fit to show the caller.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]}… is too large")
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(text: str | bytes) -> Any:
    """The JSON value in ``text`` (bytes are read as UTF-8); ``ValueError`` saying why not."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, parse_float=_finite, parse_constant=_not_json)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"it is not UTF-8: {error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(str(error)) from None
    except ValueError as error:  # an integer literal over the interpreter's digit limit, a huge float
        message = str(error)
        if "digits" in message or "Exceeds the limit" in message:
            message = "an integer literal has too many digits"
        raise ValueError(message) from None
