"""The one parser of ISO 8601 / RFC 3339 timestamps read from stores, manifests and logs."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object, *, assume_utc: bool = False) -> datetime | None:
    """``value`` as a UTC datetime (a ``Z`` suffix is accepted); None when it is no time.

    A time without an offset is None, unless ``assume_utc`` (our own records are UTC).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not assume_utc:
            return None
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def require_timestamp(value: object) -> datetime:
    """Like :func:`parse_timestamp` with ``assume_utc``, raising ValueError when it is no time."""
    parsed = parse_timestamp(value, assume_utc=True)
    if parsed is None:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    return parsed
