"""Object ids that sort by creation time: `{prefix}_{ulid}` (`inv_01j9...`).

A ULID is a 48-bit millisecond timestamp followed by 80 random bits, written as 26 characters of
Crockford's base32 (lower case here). Lexicographic order of the text is the order of the
timestamps, so "newest first" lists are plain descending key queries and `starting_after=<id>`
is an exclusive start key. Within one millisecond this process increments the random part
instead of drawing a new one, so ids made here are strictly increasing (monotonic ULIDs).
"""

from __future__ import annotations

import re
import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1
_PREFIX = re.compile(r"^[a-z][a-z0-9]*$")


class _MonotonicUlid:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def next(self) -> int:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                # Same millisecond (or the wall clock stepped back): stay after the previous id.
                now_ms = self._last_ms
                random_part = self._last_random + 1
                if random_part > _RANDOM_MAX:  # 2^80 ids in one ms: move on to the next ms
                    now_ms, random_part = now_ms + 1, secrets.randbits(_RANDOM_BITS - 1)
            else:
                # One bit of headroom keeps the increments above from overflowing in practice.
                random_part = secrets.randbits(_RANDOM_BITS - 1)
            self._last_ms, self._last_random = now_ms, random_part
            return (now_ms << _RANDOM_BITS) | random_part


_generator = _MonotonicUlid()


def encode_ulid(value: int) -> str:
    """128 bits as 26 Crockford base32 characters, most significant first."""
    if not 0 <= value < 1 << 128:
        raise ValueError("a ULID is a 128-bit unsigned integer")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def ulid_timestamp_ms(identifier: str) -> int:
    """The creation time (Unix ms) encoded in an id made by `new_id`."""
    text = identifier.rsplit("_", 1)[-1]
    value = 0
    for ch in text[:10]:
        value = value * 32 + _ALPHABET.index(ch)
    return value  # 10 chars = 50 bits: two always-zero bits, then the 48-bit timestamp


def new_id(prefix: str) -> str:
    """A new id such as `inv_01j9zq3k8m6v1x2c4b5n7p9r0t`, later ids sorting after earlier ones."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"id prefix must be lower-case letters and digits, got {prefix!r}")
    return f"{prefix}_{encode_ulid(_generator.next())}"


class UlidIds:
    """The `Ids` port: time-sortable ids from this process's monotonic ULID generator."""

    def new(self, prefix: str) -> str:
        return new_id(prefix)
