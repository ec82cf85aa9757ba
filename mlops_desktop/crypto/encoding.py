"""The one strict base64 reader: envelopes, evidence bundles and audit-log exports.

Every byte string this app writes is standard base64 with padding (``base64.b64encode``), so a
reader accepts exactly that: the URL-safe alphabet, whitespace, missing or extra padding and
non-canonical trailing bits are refused (two spellings of one value would let an edited file
keep its meaning while its bytes change).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable


class Base64Error(ValueError):
    """A value is not standard, canonical base64."""


def b64decode_strict(text: object, what: str, error: Callable[[str], Exception] = Base64Error) -> bytes:
    """The bytes of ``text`` (standard, canonical base64 with padding). A failure raises
    ``error(message)`` (the caller's own error type), the message naming ``what``."""
    if not isinstance(text, str):
        raise error(f"{what} is not a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise error(f"{what} is not valid standard base64 ({exc})") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return raw
