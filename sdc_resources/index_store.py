"""The index's local files: chunk tables per day, the embedding cache, the record of what Chroma holds."""

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
from pydantic import Field

from sdc_resources.atomic import write_atomic_with
from sdc_resources.batches import batches
from sdc_resources.data_dir import default_data_path
from sdc_resources.day_marks import DayMarks
from sdc_resources.lexical_index import LexicalIndex
from sdc_resources.parquet_files import write_parquet_if_changed

SQLITE_PARAMS = 900


class IndexStore(dg.ConfigurableResource):
    """``<root>/chunks/<day>.parquet``, ``<root>/indexed/<day>.parquet`` and ``<root>/embeddings.sqlite``."""

    root: str = Field(default_factory=lambda: str(default_data_path("index")))

    def chunks_path(self, day: str) -> Path:
        return Path(self.root) / "chunks" / f"{day}.parquet"

    def indexed_path(self, day: str) -> Path:
        return Path(self.root) / "indexed" / f"{day}.parquet"

    def marks(self) -> DayMarks:
        """The marks of the stages that read the chunk tables (``<root>/marks.sqlite``)."""
        return DayMarks(Path(self.root) / "marks.sqlite")

    @property
    def lexical(self) -> LexicalIndex:
        """The full-text index of the chunks, beside the vectors."""
        return LexicalIndex(Path(self.root) / "lexical.sqlite")

    def chunk_tables(self) -> list[Path]:
        """Every chunk table: one per day, and the reference documents'."""
        return sorted((Path(self.root) / "chunks").glob("*.parquet"))

    def index_records(self) -> list[Path]:
        """Every record of what Chroma holds."""
        return sorted((Path(self.root) / "indexed").glob("*.parquet"))

    def read(self, path: Path, schema: dict) -> pl.DataFrame:
        return pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=schema)

    def write(self, path: Path, frame: pl.DataFrame) -> None:
        """Write a day's table atomically; an empty table removes the file."""
        if frame.is_empty():
            path.unlink(missing_ok=True)
        else:
            write_atomic_with(path, frame.write_parquet)

    def write_if_changed(self, path: Path, frame: pl.DataFrame) -> bool:
        """:meth:`write`, unless the file already holds ``frame`` (its mtime then stays); whether it wrote."""
        return write_parquet_if_changed(path, frame)

    @contextmanager
    def _cache(self) -> Iterator[sqlite3.Connection]:
        path = Path(self.root) / "embeddings.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=60)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                "dim INTEGER NOT NULL, vector BLOB NOT NULL)"
            )
            with connection:
                yield connection
        finally:
            connection.close()

    def _select(self, columns: str, keys: Iterable[str]) -> Iterator[tuple]:
        keys = list(keys)
        with self._cache() as db:
            for part in batches(keys, SQLITE_PARAMS):
                yield from db.execute(
                    f"SELECT {columns} FROM embeddings WHERE key IN ({','.join('?' * len(part))})", part
                )

    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` already have a vector."""
        return {key for (key,) in self._select("key", keys)}

    def vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        return {key: np.frombuffer(blob, dtype=np.float32) for key, blob in self._select("key, vector", keys)}

    def put_vectors(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        rows = [(k, model_id, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()]
        with self._cache() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings (key, model, dim, vector) VALUES (?, ?, ?, ?)", rows)
