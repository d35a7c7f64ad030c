"""Decoded Centreon payloads to Arrow record batches, column-wise, never dropping data.

A :class:`Converter` is compiled once per schema. For each batch it first runs
a cheap check on every payload: the key sets of the payload and of each nested
object must be known to the schema, and the few polymorphic spots are
normalised (PHP's ``[]`` for an empty object, ``extra`` as JSON text, the
listing's integer ``severity.type``). Payloads that pass go to Arrow one
top-level column at a time: each row's values are picked in one C call and
transposed, Arrow's C++ builds each column (nested structs included) in a
"wire" type whose dates are strings, then one cast per dated column parses
the ISO dates at C speed.

Anything that does not fit takes the slow path, one row at a time: a payload
with an unknown key is walked against the schema, and when Arrow refuses a
batch the batch is split in halves until the offending rows are isolated and
walked. Arrow refuses a value of the wrong type, such as ``"duration":
false``; a fraction where an integer belongs, or a boolean where any number
does, Arrow would quietly convert, so the batch is refused before it sees
them. The walk keeps every value that fits and moves the rest into
``_rescued_data``. A row that still cannot be built keeps only its run columns
and the whole payload as rescued JSON. Nothing raises for data reasons.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from centreon.schemas import CODES, RUN_FIELDS, TIMESTAMP

__all__ = ["Converter"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ARROW_REFUSALS = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError)

_STRUCT, _LIST, _JSON, _CODES = range(4)


@dataclass(slots=True)
class _Node:
    """What the fast check needs to know about one struct type."""

    keys: frozenset[str]
    nested: list[tuple[str, int, Any]] = field(default_factory=list)


def _is_json(f: pa.Field) -> bool:
    return bool(f.metadata) and f.metadata.get(b"centreon.json") == b"true"


def _codes(f: pa.Field) -> dict[int, str]:
    """The integer codes a string field accepts instead of its text (may be empty)."""
    raw = (f.metadata or {}).get(CODES)
    if raw is None:
        return {}

    return {int(code): text for code, text in orjson.loads(raw).items()}


def _key(name: str) -> str:
    """``name`` as the very object orjson gives decoded payloads for this key.

    orjson caches the keys it decodes, so looking payload keys up with these
    objects compares them by identity instead of by their characters. Should
    the cache ever hand out another object, lookups still compare equal.
    """
    key: str = next(iter(orjson.loads(orjson.dumps({name: None}))))
    return key


def _compile(struct: pa.StructType | pa.Schema) -> _Node:
    fields = list(struct)
    node = _Node(keys=frozenset(_key(f.name) for f in fields))
    for f in fields:
        name = _key(f.name)
        if _is_json(f):
            node.nested.append((name, _JSON, None))
        elif pa.types.is_struct(f.type):
            node.nested.append((name, _STRUCT, _compile(f.type)))
        elif pa.types.is_list(f.type):
            node.nested.append((name, _LIST, _compile(f.type.value_type)))
        elif _codes(f):
            node.nested.append((name, _CODES, _codes(f)))

    return node


def _wire_type(kind: pa.DataType) -> pa.DataType:
    """The type Arrow builds from JSON values: dates stay strings until the cast."""
    if kind == TIMESTAMP:
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_wire_type(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_wire_type(kind.value_type)))

    return kind


Check = Callable[[Sequence[Any]], bool]

_LOSSY: dict[pa.DataType, tuple[type, ...]] = {
    pa.int64(): (float, bool),
    pa.float64(): (bool,),
}
"""Python types Arrow quietly converts into each numeric type instead of refusing."""


def _lossy_check(kind: pa.DataType) -> Check | None:
    """A test for values that Arrow would quietly turn into numbers of ``kind``.

    Arrow builds an int64 from ``1.5`` as ``1``, and an int64 or a float64 from
    ``True`` as ``1``, instead of refusing them; the test finds such values
    wherever ``kind`` holds numbers, so the batch goes the slow way and they
    are rescued. None when ``kind`` holds no numbers.
    """
    refused = _LOSSY.get(kind)
    if refused is not None:
        return lambda values: any(type(v) in refused for v in values)
    if pa.types.is_struct(kind):
        children = [
            (_key(f.name), check) for f in kind if (check := _lossy_check(f.type))
        ]
        if not children:
            return None

        def struct_check(values: Sequence[Any]) -> bool:
            objects = [v for v in values if type(v) is dict]
            return any(
                check([o.get(name) for o in objects]) for name, check in children
            )

        return struct_check
    if pa.types.is_list(kind):
        inner = _lossy_check(kind.value_type)
        if inner is None:
            return None
        check = inner
        return lambda values: check(
            [item for v in values if type(v) is list for item in v]
        )

    return None


def _cast(array: pa.Array, kind: pa.DataType) -> pa.Array:
    """Cast wire strings to dates, skipping the slots under null parents.

    Arrow's own struct cast parses the (empty) child values hidden under a
    null struct and fails, so structs and lists are rebuilt child by child.
    """
    if kind == TIMESTAMP:
        return array.cast(kind)
    if pa.types.is_struct(kind):
        children = [
            _cast(child, f.type) for child, f in zip(array.flatten(), kind, strict=True)
        ]
        mask = array.is_null() if array.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(kind), mask=mask)
    if pa.types.is_list(kind):
        values = _cast(array.values, kind.value_type)
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(array.offsets, values, type=kind, mask=mask)

    return array


def _json_text(value: Any) -> str:
    """Compact JSON; integers beyond 64 bits (valid JSON, refused by orjson) too."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _dumps(value: Any) -> str | None:
    if value == [] or value == {}:
        return None

    return _json_text(value)


def _fast(value: dict[str, Any], node: _Node) -> dict[str, Any] | None:
    """``value`` normalised for Arrow, or None when it needs the slow path.

    Returns ``value`` itself when nothing needed changing (no copy). Structs
    without nested objects only get their key set checked, inline: this is
    the hot loop of a run.
    """
    if not value.keys() <= node.keys:
        return None
    out: dict[str, Any] | None = None
    for name, kind, child in node.nested:
        item = value.get(name)
        if item is None:
            continue
        new: Any = item
        if kind == _STRUCT:
            if type(item) is dict:
                if child.nested:
                    new = _fast(item, child)
                    if new is None:
                        return None
                elif not item.keys() <= child.keys:
                    return None
            elif item == []:
                new = None
            else:
                return None
        elif kind == _LIST:
            if type(item) is not list:
                return None
            for index, element in enumerate(item):
                if type(element) is not dict:
                    return None
                if not child.nested:
                    if not element.keys() <= child.keys:
                        return None
                    continue
                fitted = _fast(element, child)
                if fitted is None:
                    return None
                if fitted is not element:
                    if new is item:
                        new = list(item)
                    new[index] = fitted
        elif kind == _JSON:
            new = _dumps(item)
        elif type(item) is int:
            if item not in child:
                return None
            new = child[item]
        if new is not item:
            if out is None:
                out = dict(value)
            out[name] = new

    return value if out is None else out


_MISSING: Any = object()


def _fit_leaf(value: Any, f: pa.Field) -> tuple[Any, Any]:
    kind = f.type
    if pa.types.is_string(kind):
        if isinstance(value, str):
            return value, _MISSING
        codes = _codes(f)
        if type(value) is int and value in codes:
            return codes[value], _MISSING
    elif pa.types.is_boolean(kind):
        if isinstance(value, bool):
            return value, _MISSING
    elif pa.types.is_int64(kind):
        if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
            return value, _MISSING
    elif pa.types.is_float64(kind):
        if type(value) in (int, float):
            return float(value), _MISSING
    elif kind == TIMESTAMP and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return value, _MISSING

    return None, value


def _fit(value: Any, f: pa.Field) -> tuple[Any, Any]:
    """Split ``value`` into (what fits ``f``, what must be rescued or _MISSING)."""
    if value is None:
        return None, _MISSING
    if _is_json(f):
        return _dumps(value), _MISSING
    kind = f.type
    if pa.types.is_struct(kind):
        if value == []:
            return None, _MISSING
        if not isinstance(value, dict):
            return None, value
        return _fit_struct(value, kind)
    if pa.types.is_list(kind):
        if not isinstance(value, list):
            return None, value
        items, rescued = [], {}
        for index, element in enumerate(value):
            fitted, lost = _fit(element, kind.value_field)
            items.append(fitted)
            if lost is not _MISSING:
                rescued[str(index)] = lost
        return items, rescued or _MISSING

    return _fit_leaf(value, f)


def _fit_struct(value: Mapping[str, Any], kind: pa.StructType) -> tuple[Any, Any]:
    fields = {f.name: f for f in kind}
    fitted: dict[str, Any] = {}
    rescued: dict[str, Any] = {}
    for name, item in value.items():
        f = fields.get(name)
        if f is None:
            rescued[name] = item
            continue
        fitted[name], lost = _fit(item, f)
        if lost is not _MISSING:
            rescued[name] = lost

    return fitted, rescued or _MISSING


class Converter:
    """Turns payloads of one dataset into record batches of ``schema``.

    ``schema`` is one of the record schemas of :mod:`centreon.schemas`: the
    API's fields followed by :data:`~centreon.schemas.RUN_FIELDS`. A converter
    keeps no state between calls, so one instance may serve every writer of a
    process, from any thread.
    """

    def __init__(self, schema: pa.Schema) -> None:
        run_names = {f.name for f in RUN_FIELDS}
        api_fields = [f for f in schema if f.name not in run_names]
        self.schema = schema
        self._api_schema = pa.schema(api_fields)
        self._api_struct = pa.struct(api_fields)
        self._node = _compile(self._api_schema)
        names = tuple(_key(f.name) for f in api_fields)
        self._names = names
        self._values: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*names)
            if len(names) > 1
            else lambda row: (row[names[0]],)
        )
        self._wire_types = [_wire_type(f.type) for f in api_fields]
        self._api_types = [f.type for f in api_fields]
        self._dated = [_wire_type(f.type) != f.type for f in api_fields]
        self._lossy_checks = [
            (index, check)
            for index, f in enumerate(api_fields)
            if not _is_json(f) and (check := _lossy_check(f.type))
        ]
        self._empty_row: dict[str, Any] = {}

    def convert(
        self,
        payloads: Sequence[Mapping[str, Any]],
        fetched_at: Sequence[datetime],
        *,
        run_id: str,
        snapshot_ts: datetime,
    ) -> pa.RecordBatch:
        """Build one batch; ``fetched_at[i]`` belongs to ``payloads[i]``."""
        rows: list[Mapping[str, Any]] = []
        rescued: list[str | None] = []
        for payload in payloads:
            fitted = _fast(payload, self._node) if type(payload) is dict else None
            if fitted is None:
                self._append_slow(payload, rows, rescued)
            else:
                rows.append(fitted)
                rescued.append(None)
        api = self._build(rows, rescued, 0, len(rows), payloads)
        count = len(rows)
        columns = [
            *api.columns,
            pa.repeat(pa.scalar(run_id, pa.string()), count),
            pa.repeat(pa.scalar(snapshot_ts, TIMESTAMP), count),
            pa.array(fetched_at, TIMESTAMP),
            pa.array(rescued, pa.string()),
        ]

        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def _append_slow(
        self,
        payload: Any,
        rows: list[Mapping[str, Any]],
        rescued: list[str | None],
    ) -> None:
        if isinstance(payload, Mapping):
            fitted, lost = _fit_struct(payload, self._api_struct)
        else:
            fitted, lost = {}, payload
        rows.append(fitted)
        rescued.append(None if lost is _MISSING else _json_text(lost))

    def _to_arrow(self, rows: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        """Arrow for ``rows``, whose keys are fields of the schema (some may be absent).

        Built one top-level column at a time: picking a complete row's values
        with one ``itemgetter`` call and transposing them is cheaper than
        Arrow's per-field dictionary lookups of a struct conversion.
        """
        size = len(self._names)
        values = self._values
        table = [
            values(row) if len(row) == size else tuple(map(row.get, self._names))
            for row in rows
        ]
        wire = list(zip(*table, strict=True)) if table else [()] * size
        for index, check in self._lossy_checks:
            if check(wire[index]):
                raise pa.ArrowInvalid("a value Arrow would turn into a number")
        columns = [
            _cast(pa.array(column, kind), api_kind) if dated else pa.array(column, kind)
            for column, kind, api_kind, dated in zip(
                wire, self._wire_types, self._api_types, self._dated, strict=True
            )
        ]
        return pa.RecordBatch.from_arrays(columns, schema=self._api_schema)

    def _build(
        self,
        rows: list[Mapping[str, Any]],
        rescued: list[str | None],
        start: int,
        end: int,
        payloads: Sequence[Any],
    ) -> pa.RecordBatch:
        """Arrow for ``rows[start:end]``, isolating rows Arrow refuses."""
        try:
            return self._to_arrow(rows[start:end])
        except _ARROW_REFUSALS:
            if end - start > 1:
                middle = (start + end) // 2
                head = self._build(rows, rescued, start, middle, payloads)
                tail = self._build(rows, rescued, middle, end, payloads)
                return pa.concat_batches([head, tail])
        return self._build_one(rows, rescued, start, payloads[start])

    def _build_one(
        self,
        rows: list[Mapping[str, Any]],
        rescued: list[str | None],
        index: int,
        payload: Any,
    ) -> pa.RecordBatch:
        if rescued[index] is None:
            one_row: list[Mapping[str, Any]] = []
            one_rescued: list[str | None] = []
            self._append_slow(payload, one_row, one_rescued)
            rows[index], rescued[index] = one_row[0], one_rescued[0]
            try:
                return self._to_arrow(one_row)
            except _ARROW_REFUSALS:
                pass
        rows[index] = self._empty_row
        rescued[index] = _json_text(payload)

        return self._to_arrow([self._empty_row])
