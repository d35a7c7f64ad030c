"""JSON as Centreon writes it, and body templates with holes for live values.

Centreon 24.10 writes JSON two ways. New-style presenters (resource listing,
resource details, error envelopes) go through Symfony's ``JsonResponse``,
whose PHP ``json_encode`` flags escape ``/`` as ``\\/``, ``< > & ' "`` inside
strings as ``\\u003C \\u003E \\u0026 \\u0027 \\u0022`` and every non-ASCII
character as ``\\uXXXX``. Legacy JMS-serialised endpoints (``/login``,
``/logout``, ``/monitoring/hosts``, ``/monitoring/services``) write plain
UTF-8 with unescaped slashes and keep null-valued keys.

A :class:`Template` is a body serialised once with named markers where values
change per request (ages relative to "now", the request time in a link); it
renders by joining byte fragments, so the hot path never re-encodes the
static part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["Template", "dumps_jms", "dumps_symfony", "escape_symfony", "marker"]

_ESCAPE_SEQUENCE = re.compile(rb'\\(["\\/bfnrtu])')
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_MARKER = re.compile(rb"@@([a-z_]+)@@")
_HTML_SAFE = (
    (b"/", b"\\/"),
    (b"<", b"\\u003C"),
    (b">", b"\\u003E"),
    (b"&", b"\\u0026"),
    (b"'", b"\\u0027"),
)


def _quote_escape(match: re.Match[bytes]) -> bytes:
    return b"\\u0022" if match.group(1) == b'"' else match.group(0)


def _unicode_escape(match: re.Match[str]) -> str:
    point = ord(match.group(0))
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000

    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def escape_symfony(raw: bytes) -> bytes:
    """Rewrite compact JSON from orjson the way PHP's JsonResponse flags would."""
    if b'\\"' in raw:
        raw = _ESCAPE_SEQUENCE.sub(_quote_escape, raw)
    if not raw.isascii():
        raw = _NON_ASCII.sub(_unicode_escape, raw.decode()).encode("ascii")
    for plain, escaped in _HTML_SAFE:
        if plain in raw:
            raw = raw.replace(plain, escaped)

    return raw


def dumps_symfony(value: Any) -> bytes:
    """Serialise as a new-style Centreon endpoint does."""
    return escape_symfony(orjson.dumps(value))


def dumps_jms(value: Any) -> bytes:
    """Serialise as a legacy (JMS) Centreon endpoint does."""
    return orjson.dumps(value)


def marker(name: str) -> str:
    """A placeholder for a value filled in at render time (see :class:`Template`).

    As a whole JSON value the marker is replaced with its quotes; inside a
    longer string only the marker itself is replaced, so an inline marker
    must not touch the string's quotes.
    """
    return f"@@{name}@@"


class Template:
    """A serialised body split at its markers."""

    __slots__ = ("_parts", "_slots")

    def __init__(self, body: bytes) -> None:
        pieces = _MARKER.split(body)
        parts = pieces[0::2]
        for index in range(len(parts) - 1):
            # A marker that is a whole JSON string value loses its quotes.
            if parts[index].endswith(b'"') and parts[index + 1].startswith(b'"'):
                parts[index] = parts[index][:-1]
                parts[index + 1] = parts[index + 1][1:]
        self._parts: tuple[bytes, ...] = tuple(parts)
        self._slots: tuple[str, ...] = tuple(p.decode() for p in pieces[1::2])

    @classmethod
    def symfony(cls, value: Any) -> Template:
        """Serialise ``value`` Symfony-style, keeping its markers as holes."""
        return cls(dumps_symfony(value))

    @property
    def slots(self) -> tuple[str, ...]:
        """Marker names, in the order they appear."""
        return self._slots

    def render(self, values: Mapping[str, bytes]) -> bytes:
        """Fill every hole with the already-encoded JSON text for its name."""
        parts = self._parts
        if not self._slots:
            return parts[0]
        out = [parts[0]]
        for index, slot in enumerate(self._slots, start=1):
            out.append(values[slot])
            out.append(parts[index])

        return b"".join(out)
