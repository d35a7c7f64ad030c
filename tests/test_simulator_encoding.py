"""JSON as Centreon writes it, and body templates."""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

from centreon.simulator.encoding import (
    Template,
    dumps_jms,
    dumps_symfony,
    escape_symfony,
    marker,
)
from centreon.simulator.presenter import humanize

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def test_symfony_escapes_slashes_html_characters_and_quotes() -> None:
    """Slashes, < > & ' and quotes inside strings are escaped as PHP does."""
    body = dumps_symfony({"url": "/a?b=1&c='<x>'", "q": 'say "hi"'})

    assert body == (
        b'{"url":"\\/a?b=1\\u0026c=\\u0027\\u003Cx\\u003E\\u0027",'
        b'"q":"say \\u0022hi\\u0022"}'
    )


def test_symfony_escapes_non_ascii_as_utf16_units() -> None:
    """Accents use one \\u escape, emoji a surrogate pair, in lowercase hex."""
    body = dumps_symfony(["é", "日本", "🚀"])

    assert body == b'["\\u00e9","\\u65e5\\u672c","\\ud83d\\ude80"]'


def test_symfony_keeps_escaped_backslash_before_quote() -> None:
    """A string ending in a backslash keeps its escaped backslash and closing quote."""
    body = dumps_symfony({"path": "C:\\", "next": 1})

    assert body == b'{"path":"C:\\\\","next":1}'
    assert json.loads(body) == {"path": "C:\\", "next": 1}


@given(JSON_VALUES)
def test_symfony_encoding_round_trips_as_ascii(value: object) -> None:
    """Any JSON value survives the escaping and the output is pure ASCII."""
    body = escape_symfony(orjson.dumps(value))

    assert body.isascii()
    assert json.loads(body) == value
    assert b"/" not in body.replace(b"\\/", b"")
    assert not any(c in body for c in (b"<", b">", b"&", b"'"))
    assert body.replace(b"\\\\", b"").find(b'\\"') == -1


def test_jms_writes_plain_utf8_with_nulls() -> None:
    """Legacy bodies keep slashes and UTF-8 and emit null values."""
    assert dumps_jms({"a": "/é", "b": None}) == '{"a":"/é","b":null}'.encode()


def test_template_fills_whole_values_and_inline_holes() -> None:
    """A whole-value marker takes JSON text; an inline one joins its string."""
    template = Template.symfony(
        {"age": marker("duration"), "link": f"/x?t={marker('now')}&y=1"}
    )

    body = template.render({"duration": b'"5d 2h"', "now": b"1700000000"})

    assert template.slots == ("duration", "now")
    assert json.loads(body) == {"age": "5d 2h", "link": "/x?t=1700000000&y=1"}


def test_template_without_holes_renders_itself() -> None:
    """A template with no marker is its serialised body."""
    assert Template.symfony({"a": 1}).render({}) == b'{"a":1}'


def test_humanize_keeps_two_largest_units() -> None:
    """Ages show the two largest non-zero units, skipping empty ones."""
    assert humanize(5 * 86_400 + 2 * 3_600 + 59) == "5d 2h"
    assert humanize(86_400 + 300) == "1d 5m"
    assert humanize(192) == "3m 12s"
    assert humanize(45) == "45s"
    assert humanize(40_000_000) == "1y 3M"


def test_humanize_zero_age_is_false() -> None:
    """An age of zero seconds (or a future date) is ``False``, as PHP returns it."""
    assert humanize(0) is False
    assert humanize(-5) is False
