"""Parquet files rewritten only when their table changes, so unchanged files keep their mtime."""

from pathlib import Path

import polars as pl

from sdc_resources.atomic import write_atomic_with


def write_parquet_if_changed(path: Path, frame: pl.DataFrame, keep_empty: bool = False) -> bool:
    """Write ``frame`` atomically unless ``path`` already holds it; an empty frame removes the file unless
    ``keep_empty``. Whether the file changed."""
    if frame.is_empty() and not keep_empty:
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
    if path.exists() and pl.read_parquet(path).equals(frame):
        return False
    write_atomic_with(path, frame.write_parquet)
    return True
