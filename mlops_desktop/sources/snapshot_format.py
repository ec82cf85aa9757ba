"""The ``.mlsnap`` file format: table specs and DDL, the entity codec, table digests, the manifest.

A snapshot is one SQLite file:

- ``mlsnap_*`` tables hold the normalised catalog (stores, models, versions, runs with
  params and latest metrics, experiments, datasets, logged models, lineage records), one
  column per scalar entity field and JSON text for nested fields (tags, metrics, inputs).
  Entity fields are derived from :mod:`mlops_desktop.core.entities`, so a field added
  there is carried automatically (a test checks the round trip covers every field).
- ``gov_*`` tables are a verbatim copy of the governance store (envelopes, trust list,
  audit log, checkpoints), written by :mod:`mlops_desktop.governance.snapshot`.
- ``mlsnap_manifest`` (one row; its presence is how a file is detected as a snapshot)
  holds the manifest: an in-toto Statement whose predicate lists the sources and their
  schema versions, the creation time, the app version and, per table, its columns, row
  count and SHA-256. When the snapshot is signed, the row also holds the DSSE envelope of
  those exact bytes and the signer's public key.

Table digest, rule ``v2`` (documented so anyone can recompute it; the manifest predicate says
``"table_digest": "v2"``): SHA-256 over the UTF-8 line
``["mlsnap-table", <name>, [<columns>...], <schema text>]\\n`` where the schema text is the
table's ``sql`` in ``sqlite_master`` exactly as stored, then, for each row of a full scan of the
table b-tree in rowid order (``SELECT * FROM t NOT INDEXED ORDER BY rowid``: the rows the app
reads, never an index's copy of them), the compact JSON array of the row's values
(``ensure_ascii=False``, ``separators=(",", ":")``; blobs as ``{"base64": ...}``; floats as
Python's shortest repr, NaN as ``NaN``) followed by ``\\n``. Opening also runs
``PRAGMA integrity_check``, so an index that disagrees with its table is reported too.

Both the writer (:mod:`mlops_desktop.governance.snapshot`) and the reader
(:mod:`mlops_desktop.sources.snapshot`) use this module; it knows nothing of keys or trust.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import sqlite3
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_desktop.core.entities import (
    Catalog,
    Dataset,
    Experiment,
    LineageEdgeRecord,
    LineageNodeRecord,
    LoggedModel,
    ModelVersion,
    RegisteredModel,
    Run,
    StoreInfo,
)
from mlops_desktop.core.errors import StoreError
from mlops_desktop.core.monitoring_results import MonitoringResult
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.crypto.canonical import canonical_digest
from mlops_desktop.sources.sqlite import SQLITE_MAGIC, check_regular_file

FORMAT = "mlsnap/1"
MANIFEST_TABLE = "mlsnap_manifest"
CATALOG_PREFIX = "mlsnap_"
GOVERNANCE_PREFIX = "gov_"
#: in-toto predicate type of a snapshot manifest (constant; documented in the README).
SNAPSHOT_PREDICATE = "https://mlops-desktop.dev/snapshot-manifest/v1"
#: Subject name of the manifest statement; its digest covers the ``tables`` map.
SNAPSHOT_SUBJECT = "mlsnap:tables"

POS = "_pos"
KEY = "_key"
MODEL_POS = "_model_pos"

MANIFEST_DDL = (
    f'CREATE TABLE "{MANIFEST_TABLE}" (id INTEGER PRIMARY KEY CHECK (id = 1), format TEXT NOT NULL, '
    "statement BLOB NOT NULL, envelope BLOB, public_key TEXT)"
)

# ---------------------------------------------------------------------------- entity codec


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one Catalog field maps onto one table."""

    table: str
    catalog_field: str  # Catalog attribute ("versions" lives inside models)
    cls: type
    keyed: bool = False  # the Catalog field is a dict: store its key in _key
    skip: frozenset[str] = frozenset()
    extra: tuple[str, ...] = ()  # extra leading columns after _pos (_key, _model_pos)

    @property
    def fields(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.cls) if f.name not in self.skip]

    @property
    def columns(self) -> list[str]:
        lead = [POS, *((KEY,) if self.keyed else ()), *self.extra]
        return lead + self.fields


TABLES: tuple[TableSpec, ...] = (
    TableSpec("mlsnap_stores", "stores", StoreInfo),
    TableSpec("mlsnap_models", "models", RegisteredModel, skip=frozenset({"versions"})),
    TableSpec("mlsnap_versions", "versions", ModelVersion, extra=(MODEL_POS,)),
    TableSpec("mlsnap_runs", "runs", Run, keyed=True, skip=frozenset({"lean"})),  # written whole, see catalog_rows
    TableSpec("mlsnap_experiments", "experiments", Experiment, keyed=True),
    TableSpec("mlsnap_datasets", "datasets", Dataset, keyed=True),
    TableSpec("mlsnap_logged_models", "logged_models", LoggedModel, keyed=True),
    TableSpec("mlsnap_lineage_nodes", "lineage_nodes", LineageNodeRecord),
    TableSpec("mlsnap_lineage_edges", "lineage_edges", LineageEdgeRecord),
    TableSpec("mlsnap_monitoring", "monitoring", MonitoringResult),
)
CATALOG_TABLES = tuple(t.table for t in TABLES)
#: Catalog fields the format carries; a test fails when entities.Catalog grows another.
CATALOG_FIELDS = frozenset(t.catalog_field for t in TABLES) - {"versions"} | {"models"}
#: Catalog fields that are not data: how to read a lean run whole from its live store.
NOT_CARRIED = frozenset({"run_readers"})

_SCALARS: tuple[type, ...] = (str, int, float, bool, datetime)
_DT_TAG = "$datetime"
_DT_MARK = '"$datetime"'
_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _hints_cache[cls] = hints
    return hints


def _unwrap_optional(tp: Any) -> Any:
    """``X | None`` -> ``X``; other unions -> Any."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else Any
    return tp


def _is_scalar(tp: Any) -> bool:
    inner = _unwrap_optional(tp)
    return isinstance(inner, type) and issubclass(inner, _SCALARS)


def _any_to_plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_DT_TAG: value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): _any_to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_any_to_plain(v) for v in value]
    return value


def _datetime_hook(obj: dict[str, Any]) -> Any:
    """JSON object hook: ``{"$datetime": iso}`` (a datetime inside an untyped value) -> datetime."""
    if len(obj) == 1 and isinstance(obj.get(_DT_TAG), str):
        return datetime.fromisoformat(obj[_DT_TAG])
    return obj


Codec = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _optional(fn: Codec) -> Codec:
    if fn is _identity:
        return fn

    def wrapped(value: Any) -> Any:
        return None if value is None else fn(value)

    return wrapped


_encoders: dict[Any, Codec] = {}
_decoders: dict[Any, Codec] = {}


def _encoder(tp: Any) -> Codec:
    """A function turning a value of annotation ``tp`` into JSON-ready data (compiled once per type)."""
    tp = _unwrap_optional(tp)
    cached = _encoders.get(tp)
    if cached is not None:
        return cached
    fn: Codec
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        fn = _any_to_plain
    elif dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        parts = [(f.name, _encoder(hints[f.name])) for f in dataclasses.fields(tp)]

        def fn(value: Any, parts: list[tuple[str, Codec]] = parts) -> Any:
            return {name: enc(getattr(value, name)) for name, enc in parts}
    elif origin in (list, tuple, set, frozenset):
        item = _encoder(args[0] if args else Any)

        def fn(value: Any, item: Codec = item) -> Any:
            return [item(v) for v in value]
    elif origin is dict:
        vt = _encoder(args[1] if len(args) == 2 else Any)

        def fn(value: Any, vt: Codec = vt) -> Any:
            return {str(k): vt(v) for k, v in value.items()}
    elif tp is datetime:
        fn = datetime.isoformat
    elif tp in (str, int, float, bool):
        fn = _identity
    else:
        fn = _any_to_plain
    fn = _optional(fn)
    _encoders[tp] = fn
    return fn


def _decoder(tp: Any) -> Codec:
    """Inverse of :func:`_encoder` (compiled once per type)."""
    tp = _unwrap_optional(tp)
    cached = _decoders.get(tp)
    if cached is not None:
        return cached
    fn: Codec
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        fn = _identity  # tagged datetimes inside are restored while parsing (see _Column)
    elif dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        parts = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(tp)]
        cls = tp

        def slow(obj: Any, parts: list[tuple[str, Codec]] = parts, cls: type = cls) -> Any:
            return cls(**{name: dec(obj[name]) for name, dec in parts if name in obj})

        fast = _compile_constructor(cls, [(name, f"o[{name!r}]", dec) for name, dec in parts])

        def fn(obj: Any, fast: Codec = fast, slow: Codec = slow) -> Any:
            try:
                return fast(obj)
            except KeyError:  # written before a field existed: its default applies
                return slow(obj)
    elif origin in (list, tuple, set, frozenset):
        item = _decoder(args[0] if args else Any)
        container = list if origin is list else origin
        if item is _identity and container is list:
            fn = _identity
        else:
            def fn(obj: Any, item: Codec = item, container: Any = container) -> Any:
                return container(item(v) for v in obj)
    elif origin is dict:
        vt = _decoder(args[1] if len(args) == 2 else Any)
        if vt is _identity:
            fn = _identity
        else:
            def fn(obj: Any, vt: Codec = vt) -> Any:
                return {k: vt(v) for k, v in obj.items()}
    elif tp is datetime:
        fn = datetime.fromisoformat
    elif tp is float:
        fn = float
    elif tp in (str, int, bool):
        fn = _identity
    else:
        fn = _identity
    fn = _optional(fn)
    _decoders[tp] = fn
    return fn


def _compile_constructor(cls: type, parts: list[tuple[str, str, Codec]], extra: str = "") -> Codec:
    """``lambda o: cls(name=dec(<expr>), ...)`` built once with ``exec`` (decoding speed matters:
    opening a snapshot must show rows within a second). Names are dataclass field names."""
    namespace: dict[str, Any] = {"cls": cls}
    args = []
    for i, (name, expr, dec) in enumerate(parts):
        if not name.isidentifier():
            raise ValueError(f"not a field name: {name!r}")
        if dec is _identity:
            args.append(f"{name}={expr}")
        else:
            namespace[f"d{i}"] = dec
            args.append(f"{name}=d{i}({expr})")
    if extra:
        args.append(extra)
    source = f"def fn(o):\n    return cls({', '.join(args)})\n"
    exec(source, namespace)  # noqa: S102 - generated from dataclass field names only
    fn: Codec = namespace["fn"]
    return fn


def to_plain(value: Any, tp: Any) -> Any:
    """An entity value as JSON-ready data, guided by its annotation."""
    return _encoder(tp)(value)


def from_plain(obj: Any, tp: Any) -> Any:
    """Inverse of :func:`to_plain` (for data parsed with :func:`_datetime_hook`)."""
    return _decoder(tp)(obj)


_json_loads = json.JSONDecoder().decode


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Column:
    """Encoder/decoder for one entity field stored in one column."""

    __slots__ = ("decode", "encode", "name", "scalar", "tp")

    def __init__(self, name: str, tp: Any) -> None:
        self.name = name
        self.tp = _unwrap_optional(tp)
        self.scalar = _is_scalar(tp)
        self.encode: Codec
        self.decode: Codec
        if self.scalar:
            if self.tp is datetime:
                self.encode, self.decode = _optional(datetime.isoformat), _optional(datetime.fromisoformat)
            elif self.tp is bool:
                self.encode, self.decode = _optional(int), _optional(bool)
            elif self.tp is float:
                self.encode, self.decode = _identity, _optional(float)
            else:
                self.encode = self.decode = _identity
        else:
            enc, dec = _encoder(self.tp), _decoder(self.tp)

            def encode(value: Any, enc: Codec = enc) -> Any:
                return _dumps(enc(value))

            def decode(raw: Any, dec: Codec = dec) -> Any:
                if _DT_MARK in raw:
                    return dec(json.loads(raw, object_hook=_datetime_hook))
                return dec(_json_loads(raw))

            self.encode, self.decode = _optional(encode), _optional(decode)


def _columns_of(spec: TableSpec) -> list[_Column]:
    hints = _hints(spec.cls)
    return [_Column(name, hints[name]) for name in spec.fields]


def table_ddl(spec: TableSpec) -> str:
    hints = _hints(spec.cls)
    parts = [f'"{POS}" INTEGER PRIMARY KEY']
    if spec.keyed:
        parts.append(f'"{KEY}" TEXT NOT NULL')
    parts.extend(f'"{c}" INTEGER NOT NULL' for c in spec.extra)
    for name in spec.fields:
        col = _Column(name, hints[name])
        sql_type = "TEXT"
        if col.scalar and col.tp in (int, bool):
            sql_type = "INTEGER"
        elif col.scalar and col.tp is float:
            sql_type = "REAL"
        parts.append(f'"{name}" {sql_type}')
    return f'CREATE TABLE "{spec.table}" ({", ".join(parts)})'


def catalog_rows(catalog: Catalog) -> Iterator[tuple[TableSpec, list[tuple[Any, ...]]]]:
    """Every catalog table with its encoded rows, in column order of :attr:`TableSpec.columns`."""
    for spec in TABLES:
        cols = _columns_of(spec)
        rows: list[tuple[Any, ...]] = []
        if spec.catalog_field == "versions":
            pos = 0
            for model_pos, model in enumerate(catalog.models):
                for v in model.versions:
                    rows.append((pos, model_pos, *(c.encode(getattr(v, c.name)) for c in cols)))
                    pos += 1
        else:
            # a snapshot holds every run whole: lean ones are read from their stores
            value = catalog.whole_runs() if spec.catalog_field == "runs" else getattr(catalog, spec.catalog_field)
            if spec.keyed:
                for pos, (key, item) in enumerate(value.items()):
                    rows.append((pos, key, *(c.encode(getattr(item, c.name)) for c in cols)))
            else:
                for pos, item in enumerate(value):
                    rows.append((pos, *(c.encode(getattr(item, c.name)) for c in cols)))
        yield spec, rows


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: Columns added after the format was first written: an older snapshot without one reads "".
LATER_COLUMNS = frozenset({("mlsnap_stores", "registry_id")})
#: Tables added after the format was first written: an older snapshot without one reads empty.
LATER_TABLES = frozenset({"mlsnap_monitoring"})
#: The tables the inventory needs (versions carry their datasets and run user).
REGISTRY_TABLES = ("mlsnap_stores", "mlsnap_models", "mlsnap_versions")


def read_catalog(
    con: sqlite3.Connection,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    *,
    tables: tuple[str, ...] | None = None,
) -> Catalog:
    """Decode the catalog tables of an open snapshot (``tables``: only these)."""
    catalog = Catalog()
    specs = [t for t in TABLES if tables is None or t.table in tables]
    total = len(specs)
    models: list[RegisteredModel] = []
    for i, spec in enumerate(specs):
        check_cancelled(is_cancelled)
        progress(i, total, f"Reading {spec.table.removeprefix(CATALOG_PREFIX).replace('_', ' ')}")
        cols = _columns_of(spec)
        lead = 1 + int(spec.keyed) + len(spec.extra)
        present = _table_columns(con, spec.table)
        if not present and spec.table in LATER_TABLES:  # written before the format had it: empty
            continue
        missing = [c for c in spec.columns if c not in present and (spec.table, c) not in LATER_COLUMNS]
        if missing:
            raise StoreError(
                f"Snapshot table {spec.table} lacks column(s) {', '.join(missing)}.",
                "The snapshot was written by an incompatible version, or altered.",
            )
        select = ", ".join(_q(c) if c in present else "''" for c in spec.columns)
        cursor = con.execute(f"SELECT {select} FROM {_q(spec.table)} ORDER BY {_q(POS)}")  # noqa: S608
        make = _compile_constructor(
            spec.cls, [(c.name, f"o[{lead + j}]", c.decode) for j, c in enumerate(cols)],
            "versions=[]" if spec.catalog_field == "models" else "",
        )
        if spec.catalog_field == "versions":
            for row in cursor:
                model_pos = row[1]
                if not 0 <= model_pos < len(models):
                    raise StoreError(f"Snapshot version row {row[0]} points at no model ({model_pos}).")
                models[model_pos].versions.append(make(row))
            continue
        items: list[Any] = []
        keys: list[str] = []
        for row in cursor:
            items.append(make(row))
            if spec.keyed:
                keys.append(row[1])
        if spec.catalog_field == "models":
            models = items
            catalog.models = models
        elif spec.keyed:
            setattr(catalog, spec.catalog_field, dict(zip(keys, items, strict=True)))
        else:
            setattr(catalog, spec.catalog_field, items)
    progress(total, total, "Snapshot read")
    return catalog


# ---------------------------------------------------------------------------- digests


def _table_columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})")]


def _json_cell(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


@dataclass(frozen=True, slots=True)
class TableDigest:
    table: str
    columns: tuple[str, ...]
    rows: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": self.rows, "sha256": self.sha256}


#: The table digest rule new manifests name (see the module docstring).
TABLE_DIGEST_RULE = "v2"


def table_schema(con: sqlite3.Connection, table: str) -> str:
    row = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return str(row[0]) if row and row[0] is not None else ""


def table_digest(con: sqlite3.Connection, table: str, is_cancelled: CancelledFn = never_cancelled) -> TableDigest:
    """Row count and SHA-256 of one table, as documented in the module docstring (rule v2)."""
    columns = _table_columns(con, table)
    schema = table_schema(con, table)
    if "WITHOUT ROWID" in schema.upper().replace("\n", " "):
        raise sqlite3.DatabaseError(f"table {table} is a WITHOUT ROWID table, which this app never writes")
    h = hashlib.sha256()
    h.update((_dumps(["mlsnap-table", table, columns, schema]) + "\n").encode("utf-8", "surrogatepass"))
    cursor = con.execute(f"SELECT * FROM {_q(table)} NOT INDEXED ORDER BY rowid")  # noqa: S608
    count = 0
    while True:
        batch = cursor.fetchmany(5000)
        if not batch:
            break
        check_cancelled(is_cancelled)
        lines = []
        for row in batch:
            try:
                lines.append(_dumps(list(row)))
            except TypeError:
                lines.append(_dumps([_json_cell(v) for v in row]))
        h.update(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
        count += len(batch)
    return TableDigest(table, tuple(columns), count, h.hexdigest())


def tables_digest(tables: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the manifest's ``tables`` map (the statement subject)."""
    return canonical_digest(dict(tables))


def data_tables(con: sqlite3.Connection) -> list[str]:
    """Every table in the file except the manifest and SQLite's own."""
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    return [r[0] for r in rows if r[0] != MANIFEST_TABLE and not r[0].startswith("sqlite_")]


@dataclass(slots=True)
class ManifestRow:
    format: str
    statement: bytes
    envelope: bytes | None
    public_key: str | None
    predicate: dict[str, Any] = field(default_factory=dict)



# ---------------------------------------------------------------------------- manifest


def check_sqlite_file(path: Path) -> None:
    """Refuse non-SQLite, truncated and non-regular files with a clear message, before SQLite sees them."""
    if not os.path.lexists(path):
        raise StoreError(f"No such snapshot file: {path}.", "Check the path and try again.")
    check_regular_file(path, "snapshot file")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header = fh.read(100)
    except FileNotFoundError as exc:
        raise StoreError(f"No such snapshot file: {path}.", "Check the path and try again.") from exc
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror}.") from exc
    if not header.startswith(SQLITE_MAGIC):
        raise StoreError(
            f"{path} is not a snapshot (not a SQLite file).", "Pick a .mlsnap file written by 'snapshot create'."
        )
    if len(header) < 100:
        raise StoreError(f"{path} is truncated ({size} bytes, not even a database header).",
                         "Copy the snapshot again from its origin.")
    page_size = int.from_bytes(header[16:18], "big")
    if page_size == 1:
        page_size = 65536
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    change = int.from_bytes(header[24:28], "big")
    if pages and valid_for == change and size < pages * page_size:
        raise StoreError(
            f"{path} is truncated ({size} of {pages * page_size} bytes).", "Copy the snapshot again from its origin."
        )
    if size % max(page_size, 512):
        raise StoreError(f"{path} is truncated or damaged (size {size} is not a whole number of pages).",
                         "Copy the snapshot again from its origin.")



def read_manifest(con: sqlite3.Connection, path: Path) -> ManifestRow:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if MANIFEST_TABLE not in tables:
        raise StoreError(
            f"{path} is a SQLite database but not a snapshot (no {MANIFEST_TABLE} table).",
            "Open it as a store instead, or pick a .mlsnap file.",
        )
    try:
        rows = con.execute(f"SELECT format, statement, envelope, public_key FROM {MANIFEST_TABLE}").fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: the snapshot manifest cannot be read ({exc}).",
                         "The snapshot is damaged or altered.") from exc
    if len(rows) != 1:
        raise StoreError(f"{path}: the snapshot manifest has {len(rows)} rows instead of 1.",
                         "The snapshot is damaged or altered.")
    fmt, statement, envelope, public_key = rows[0]
    if fmt != FORMAT:
        raise StoreError(f"{path} is a snapshot in format {fmt!r}; this version reads {FORMAT}.",
                         "Open it with the MLOps Desktop version that wrote it, or a newer one.")

    def as_bytes(value: Any) -> bytes | None:
        if value is None:
            return None
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)

    stmt = as_bytes(statement) or b""
    return ManifestRow(fmt, stmt, as_bytes(envelope), public_key)


def parse_manifest_statement(statement: bytes) -> dict[str, Any]:
    """The predicate of the manifest statement, or StoreError when it is not one."""
    try:
        obj = json.loads(statement.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"The snapshot manifest is not valid JSON ({exc}).", "The snapshot is damaged or altered.") from exc
    if not isinstance(obj, dict) or obj.get("predicateType") != SNAPSHOT_PREDICATE or not isinstance(
        obj.get("predicate"), dict
    ):
        raise StoreError("The snapshot manifest is not a snapshot statement.", "The snapshot is damaged or altered.")
    predicate: dict[str, Any] = obj["predicate"]
    if not isinstance(predicate.get("tables"), dict):
        raise StoreError("The snapshot manifest lists no tables.", "The snapshot is damaged or altered.")
    return predicate


def integrity_problems(con: sqlite3.Connection, limit: int = 20) -> list[str]:
    """``PRAGMA integrity_check``: pages, b-trees and every index against its table."""
    try:
        rows = [str(r[0]) for r in con.execute(f"PRAGMA integrity_check({int(limit)})")]
    except sqlite3.DatabaseError as exc:
        return [f"the SQLite integrity check failed ({exc})"]
    if rows == ["ok"]:
        return []
    return [f"the SQLite integrity check found: {r}" for r in rows]


def check_content(
    con: sqlite3.Connection,
    statement: bytes,
    predicate: Mapping[str, Any],
    is_cancelled: CancelledFn = never_cancelled,
) -> list[str]:
    """Compare every table with the manifest; each difference is one specific message."""
    problems: list[str] = []
    if predicate.get("table_digest") != TABLE_DIGEST_RULE:
        problems.append("the manifest uses an older table digest rule (tables read through their indexes, schema "
                        "text not covered); take the snapshot again with this version")
    problems.extend(integrity_problems(con))
    try:
        obj = json.loads(statement.decode("utf-8"))
        subject = obj["subject"][0]
        subject_ok = subject["name"] == SNAPSHOT_SUBJECT and subject["digest"]["sha256"] == tables_digest(
            predicate["tables"]
        )
    except (KeyError, IndexError, TypeError, ValueError):
        subject_ok = False
    if not subject_ok:
        problems.append("the manifest's table list does not match its own subject digest")
    expected: Mapping[str, Any] = predicate["tables"]
    present = data_tables(con)
    for extra in sorted(set(present) - set(expected)):
        problems.append(f"table {extra} is not in the manifest (added after signing)")
    for table in sorted(expected):
        want = expected[table]
        if table not in present:
            problems.append(f"table {table} is missing")
            continue
        try:
            got = table_digest(con, table, is_cancelled)
        except sqlite3.DatabaseError as exc:
            problems.append(f"table {table} cannot be read ({exc})")
            continue
        if list(got.columns) != list(want.get("columns", [])):
            problems.append(f"table {table} has different columns than the manifest")
        elif got.rows != want.get("rows"):
            diff = int(want.get("rows", 0)) - got.rows
            what = f"{diff} row(s) deleted" if diff > 0 else f"{-diff} row(s) added"
            problems.append(f"table {table} has {got.rows} rows, the manifest says {want.get('rows')} ({what})")
        elif got.sha256 != want.get("sha256"):
            problems.append(f"table {table} was changed (its SHA-256 differs from the manifest)")
    others = con.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY name"
    ).fetchall()
    for kind, name in others:
        problems.append(f"{kind} {name} was added to the snapshot")
    return problems
