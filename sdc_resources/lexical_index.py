"""The lexical half of search: every indexed chunk in SQLite FTS5, ranked by BM25, beside its vector in Chroma.

A chunk is indexed by its words (accents folded) and, in a second column, by the identifiers in it kept whole
(``KK-2025-0142``, ``192.168.40.12``, ``0x80070005``, ``5CG1234XYZ``): an embedding tokenizer shatters those.
Rows are keyed by chunk id and day and written by difference, so the index follows the chunk tables exactly as
Chroma does; ``ids_of_day`` lets the reconciliation check compare it with the record.
"""

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sdc_resources.batches import batches

SQLITE_PARAMS = 900
# A token with a digit, or letters joined by - . : / @ _: an identifier, searched whole.
_IDENTIFIER = re.compile(r"(?<![\w-])(?=[\w.:/@-]*\d)[\w][\w.:/@-]*[\w]|(?<![\w-])[A-Za-z]+(?:[-_][A-Za-z0-9]+)+")
_WORD = re.compile(r"\w+", re.UNICODE)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, "
    "collection TEXT NOT NULL, day TEXT NOT NULL, source TEXT, customer_id TEXT, day_num INTEGER, "
    "content_hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS chunks_day ON chunks(day)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_text USING fts5(words, identifiers, "
    "tokenize = \"unicode61 remove_diacritics 2 tokenchars '_'\")",
)


def identifiers(text: str) -> list[str]:
    """The identifiers in ``text``, each as one FTS token (lower case, inner punctuation as ``_``)."""
    return [re.sub(r"[.:/@-]", "_", m.lower()) for m in _IDENTIFIER.findall(text)]


@dataclass(frozen=True)
class LexicalRow:
    chunk_id: str
    collection: str
    day: str
    source: str
    customer_id: str
    day_num: int
    text: str  # what is searched: the document's title and the chunk

    @property
    def content_hash(self) -> str:
        parts = (self.collection, self.day, self.source, self.customer_id, str(self.day_num), self.text)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class LexicalIndex:
    """``<index root>/lexical.sqlite``."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            for statement in SCHEMA:
                connection.execute(statement)
            with connection:
                yield connection
        finally:
            connection.close()

    def sync_day(self, day: str, rows: list[LexicalRow]) -> dict[str, int]:
        """Make the day hold exactly ``rows``: changed rows rewritten, vanished ones deleted, the rest left."""
        wanted = {r.chunk_id: r for r in rows}
        with self._db() as db:
            held = dict(db.execute("SELECT chunk_id, content_hash FROM chunks WHERE day = ?", (day,)))
            stale = [cid for cid, digest in held.items() if cid not in wanted or wanted[cid].content_hash != digest]
            new = [r for cid, r in wanted.items() if held.get(cid) != r.content_hash]
            _delete(db, [*stale, *(r.chunk_id for r in new)])  # a chunk that moved day is rewritten too
            for row in new:
                cursor = db.execute(
                    "INSERT INTO chunks (chunk_id, collection, day, source, customer_id, day_num, content_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (row.chunk_id, row.collection, day, row.source, row.customer_id, row.day_num, row.content_hash),
                )
                db.execute(
                    "INSERT INTO chunk_text (rowid, words, identifiers) VALUES (?, ?, ?)",
                    (cursor.lastrowid, row.text, " ".join(identifiers(row.text))),
                )
        return {"written": len(new), "deleted": len(set(stale) - set(wanted))}

    def ids_of_day(self, day: str) -> set[str]:
        """The chunk ids the index holds for ``day``."""
        if not self.path.exists():
            return set()
        with self._db() as db:
            return {cid for (cid,) in db.execute("SELECT chunk_id FROM chunks WHERE day = ?", (day,))}

    def search(
        self, query: str, collections: list[str], where: dict[str, object], limit: int
    ) -> list[tuple[str, str, float]]:
        """Chunk ids, their collections and BM25 scores (higher is better) for ``query``: any of its words, its
        identifiers whole, within ``collections`` and the filters ``where`` (``source``, ``customer_id``,
        ``day_num`` from)."""
        terms = [f'words:"{w}"' for w in dict.fromkeys(_WORD.findall(query.lower())) if len(w) > 1]
        terms += [f'identifiers:"{i}"' for i in dict.fromkeys(identifiers(query))]
        if not terms or not self.path.exists():
            return []
        marks = ",".join("?" * len(collections))
        sql = (
            "SELECT chunks.chunk_id, chunks.collection, -bm25(chunk_text, 1.0, 4.0) FROM chunk_text "
            "JOIN chunks ON chunks.rowid = chunk_text.rowid "
            f"WHERE chunk_text MATCH ? AND chunks.collection IN ({marks})"
        )
        params: list[object] = [" OR ".join(terms), *collections]
        for column in ("source", "customer_id"):
            if where.get(column):
                sql += f" AND chunks.{column} = ?"
                params.append(where[column])
        if where.get("day_num"):
            sql += " AND chunks.day_num >= ?"
            params.append(where["day_num"])
        sql += " ORDER BY bm25(chunk_text, 1.0, 4.0) LIMIT ?"
        with self._db() as db:
            return [(cid, name, float(score)) for cid, name, score in db.execute(sql, [*params, limit])]


def _delete(db: sqlite3.Connection, chunk_ids: list[str]) -> None:
    for part in batches(sorted(set(chunk_ids)), SQLITE_PARAMS):
        marks = ",".join("?" * len(part))
        rows = f"SELECT rowid FROM chunks WHERE chunk_id IN ({marks})"
        db.execute(f"DELETE FROM chunk_text WHERE rowid IN ({rows})", part)
        db.execute(f"DELETE FROM chunks WHERE chunk_id IN ({marks})", part)
