"""RFC 8785 (JCS) canonical JSON, and strict JSON parsing for signed material."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import rfc8785

from mlops_desktop.core.errors import MlopsError


class CanonicalError(MlopsError):
    """A value cannot be canonicalised, or signed JSON is malformed."""


def canonical_json(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``obj``; NaN, infinities and lone surrogates fail."""
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, UnicodeError, TypeError) as exc:
        raise CanonicalError(f"Cannot canonicalise this value as RFC 8785 JSON: {exc}.") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_digest(obj: Any) -> str:
    """Lowercase hex SHA-256 of the canonical JSON of ``obj``."""
    return sha256_hex(canonical_json(obj))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CanonicalError(f"Duplicate JSON key {key!r}.")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise CanonicalError(f"JSON value {name} is not allowed.")


def _strict_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise CanonicalError(f"JSON number {text} is out of range.")
    return value


def strict_loads(data: bytes | str) -> Any:
    """Parse JSON rejecting duplicate keys, NaN/Infinity and invalid UTF-8."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalError(f"JSON is not valid UTF-8 ({exc.reason}).") from exc
    try:
        return json.loads(
            data,
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
            parse_float=_strict_float,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalError(f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise CanonicalError("Malformed JSON: nested too deeply.") from exc
