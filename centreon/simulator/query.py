"""Centreon's request parameters: pagination, ``search`` and ``sort_by``.

Parsing follows Centreon's ``RequestParameters``: ``page``/``limit`` must be
integers (else a :class:`Rejection` with code 0), ``search`` is a JSON object
whose invalid JSON silently means "no filter", and ``sort_by`` is a JSON
object of directions (a bare name sorts ascending; text starting with ``{``
that is not JSON is a 400). Search keys and sort keys map to row values
through a field table per endpoint; keys outside the table are dropped
silently, as Centreon's strict-concordance, silent-error mode does.

Parsers return a :class:`Rejection` instead of a value when Centreon would
refuse the request; callers turn it into the error envelope.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

__all__ = [
    "Field",
    "Page",
    "Predicate",
    "Rejection",
    "compile_search",
    "normalise_search",
    "parse_page",
    "parse_sort",
    "sort_rows",
]

Row = TypeVar("Row")
Field = Callable[[Any], Any]
Predicate = Callable[[Any], bool]

_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
# MySQL stops a REGEXP that backtracks too long (regexp_time_limit); Python's re
# cannot be stopped, so patterns that could backtrack badly (a quantified group,
# several quantifiers) are refused up front with the same 500.
_QUANTIFIED_GROUP = re.compile(r"\)[*+?{]")
_QUANTIFIER = re.compile(r"[*+{]")
_MAX_QUANTIFIERS = 3
_MAX_DEPTH = 32
_DIRECTION = re.compile(r"^(ASC|DESC)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Centreon refuses the request: HTTP ``status``, envelope ``code``, ``message``."""

    status: int
    code: int
    message: str


def _search_failure(reason: str) -> Rejection:
    # Centreon cannot turn the search into SQL; the caller words the message.
    return Rejection(500, 500, reason)


@dataclass(frozen=True, slots=True)
class Page:
    """Pagination as asked: 1-based ``page``, ``limit`` rows per page."""

    page: int
    limit: int

    @property
    def offset(self) -> int:
        """Rows skipped before this page."""
        return (self.page - 1) * self.limit


def _integer(query: Mapping[str, str], name: str, default: int) -> int | Rejection:
    raw = query.get(name)
    if raw is None:
        return default
    if not _INTEGER.match(raw.strip()):
        return Rejection(500, 0, f'The parameter "{name}" must be an integer')
    return int(raw)


def parse_page(query: Mapping[str, str]) -> Page | Rejection:
    """``page`` (default 1) and ``limit`` (default 10), integers or code 0."""
    page = _integer(query, "page", 1)
    if isinstance(page, Rejection):
        return page
    limit = _integer(query, "limit", 10)
    if isinstance(limit, Rejection):
        return limit
    return Page(page=page, limit=limit)


def parse_sort(raw: str | None) -> dict[str, str] | Rejection:
    """The ``sort_by`` object with upper-cased directions (ASC when invalid)."""
    if raw is None or raw == "":
        return {}
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, list):
        decoded = {str(index): value for index, value in enumerate(decoded)}
    if not isinstance(decoded, dict):
        if raw.startswith("{"):
            return Rejection(400, 400, "Bad format for the sort request parameter")
        return {raw: "ASC"}
    sort: dict[str, str] = {}
    for name, direction in decoded.items():
        valid = isinstance(direction, str) and _DIRECTION.match(direction)
        sort[name] = direction.upper() if valid else "ASC"
    return sort


def normalise_search(raw: str | None) -> dict[str, Any]:
    """The ``search`` object as Centreon echoes it in ``meta.search``.

    Invalid JSON, or JSON that is not an object, means no search (``{}``). An
    object that is not exactly one ``$and``/``$or`` is wrapped in ``$and``.
    """
    if not raw:
        return {}
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(decoded, dict) or not decoded:
        return {}
    if len(decoded) == 1 and next(iter(decoded)) in ("$and", "$or"):
        return decoded
    return {"$and": decoded}


def _always(_row: Any) -> bool:
    return True


def _combine(predicates: list[Predicate], mode: str) -> Predicate | None:
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    if mode == "$or":
        return lambda row: any(p(row) for p in predicates)
    return lambda row: all(p(row) for p in predicates)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        stripped = value.strip()
        if _INTEGER.match(stripped):
            return int(stripped)
        return value.casefold()
    return value


def _like(pattern: Any) -> re.Pattern[str] | Rejection:
    if not isinstance(pattern, str | int | float) or isinstance(pattern, bool):
        return _search_failure("like needs a string")
    text = "".join(
        ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern)
    )
    return re.compile(f"^{text}$", re.IGNORECASE | re.DOTALL)


def _equal(value: Any, operand: Any) -> bool:
    if operand is None or value is None:
        return value is None and operand is None
    left, right = _comparable(value), _comparable(operand)
    if type(left) is not type(right) and not (
        isinstance(left, int | float) and isinstance(right, int | float)
    ):
        return str(left).casefold() == str(right).casefold()
    return bool(left == right)


def _order(value: Any, operand: Any, op: str) -> bool:
    if value is None or operand is None or isinstance(operand, dict | list):
        return False
    left, right = _comparable(value), _comparable(operand)
    if isinstance(left, str) != isinstance(right, str):
        left, right = str(left), str(right)
    if op == "$lt":
        return bool(left < right)
    if op == "$le":
        return bool(left <= right)
    if op == "$gt":
        return bool(left > right)
    return bool(left >= right)


def _regex(operand: Any) -> re.Pattern[str] | Rejection:
    if not isinstance(operand, str):
        return _search_failure("regex needs a string")
    quantifiers = len(_QUANTIFIER.findall(operand))
    if _QUANTIFIED_GROUP.search(operand) or quantifiers > _MAX_QUANTIFIERS:
        return _search_failure("regex too expensive")
    try:
        return re.compile(operand, re.IGNORECASE)
    except re.error:
        return _search_failure("invalid regex")


def _condition(field: Field, op: str, operand: Any) -> Predicate | Rejection:
    if op == "$eq":
        return lambda row: _equal(field(row), operand)
    if op == "$neq":
        return lambda row: not _equal(field(row), operand)
    if op in ("$lt", "$le", "$gt", "$ge"):
        return lambda row: _order(field(row), operand, op)
    if op in ("$lk", "$nk"):
        like = _like(operand)
        if isinstance(like, Rejection):
            return like
        wanted = op == "$lk"
        return lambda row: (
            field(row) is not None and bool(like.match(str(field(row)))) == wanted
        )
    if op in ("$in", "$ni"):
        if not isinstance(operand, list) or not operand:
            return _search_failure(f"{op} needs a non-empty array")
        members = list(operand)
        wanted = op == "$in"
        return lambda row: any(_equal(field(row), m) for m in members) == wanted
    if op == "$rg":
        regex = _regex(operand)
        if isinstance(regex, Rejection):
            return regex
        return lambda row: (
            field(row) is not None and bool(regex.search(str(field(row))))
        )
    return _search_failure(f"unknown operator {op}")


def _field_condition(field: Field, value: Any) -> Predicate | Rejection:
    if isinstance(value, dict):
        parts = []
        for op, operand in value.items():
            part = _condition(field, str(op), operand)
            if isinstance(part, Rejection):
                return part
            parts.append(part)
        return _combine(parts, "$and") or _always
    if isinstance(value, list):
        return _condition(field, "$in", value)
    return _condition(field, "$eq", value)


def _compile(
    node: Any, mode: str, fields: Mapping[str, Field], depth: int = 0
) -> Predicate | Rejection | None:
    """Combine with ``mode`` the conditions of an object or a list of objects."""
    if depth > _MAX_DEPTH:
        return _search_failure("search nested too deeply")
    if isinstance(node, list):
        parts = [_compile(item, "$and", fields, depth + 1) for item in node]
    elif isinstance(node, dict):
        parts = [_entry(key, value, fields, depth) for key, value in node.items()]
    else:
        return _search_failure("search conditions must be objects")
    predicates: list[Predicate] = []
    for part in parts:
        if isinstance(part, Rejection):
            return part
        if part is not None:
            predicates.append(part)
    return _combine(predicates, mode)


def _entry(
    key: str, value: Any, fields: Mapping[str, Field], depth: int
) -> Predicate | Rejection | None:
    if key in ("$and", "$or"):
        return _compile(value, key, fields, depth + 1)
    if key in fields:
        return _field_condition(fields[key], value)
    return None


def compile_search(
    search: Mapping[str, Any], fields: Mapping[str, Field]
) -> Predicate | Rejection:
    """A row predicate for a normalised search; unknown keys match everything."""
    if not search:
        return _always
    compiled = _compile(dict(search), "$and", fields)
    return _always if compiled is None else compiled


def _sort_key(field: Field) -> Callable[[Any], tuple[int, Any]]:
    def key(row: Any) -> tuple[int, Any]:
        value = field(row)
        if value is None:
            return (0, 0)
        if isinstance(value, str):
            return (1, value.casefold())
        return (1, value)

    return key


def sort_rows(
    rows: list[Row], sort: Mapping[str, str], fields: Mapping[str, Field]
) -> list[Row]:
    """Rows ordered by the known sort keys (NULL first when ascending, as MySQL).

    Ties keep the incoming order, so the storage order breaks them.
    """
    ordered = list(rows)
    for name, direction in reversed(list(sort.items())):
        field = fields.get(name)
        if field is not None:
            ordered.sort(key=_sort_key(field), reverse=direction == "DESC")
    return ordered
