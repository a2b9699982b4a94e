"""Asset metadata that reads well in the Dagster UI."""

import dagster as dg

CELL_CHARS = 80
_TYPES = {bool: "bool", int: "int", float: "float"}


def preview_table(rows: list[dict]) -> dg.TableMetadataValue:
    """``rows`` as a typed Dagster table (the UI sorts and filters it): numbers and booleans stay themselves,
    anything else becomes text cut to 80 characters. No rows give an empty table without columns."""
    columns = list(rows[0]) if rows else []
    types = {c: _column_type([r.get(c) for r in rows]) for c in columns}
    schema = dg.TableSchema(columns=[dg.TableColumn(c, types[c]) for c in columns])
    records = [dg.TableRecord({c: _cell(r.get(c), types[c]) for c in columns}) for r in rows]
    return dg.MetadataValue.table(records=records, schema=schema)


def _column_type(values: list) -> str:
    kinds = {type(v) for v in values if v is not None}
    return _TYPES.get(kinds.pop(), "string") if len(kinds) == 1 else "string"


def _cell(value: object, kind: str) -> str | int | float | bool | None:
    if value is None or kind != "string":
        return value
    return str(value).replace("\n", " ")[:CELL_CHARS]
