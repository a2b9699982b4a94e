"""The lexical half of search: every indexed chunk in SQLite FTS5, ranked by BM25, beside its vector in Chroma.

A chunk is indexed by its words (accents folded) and, in a second column, by the identifiers in it kept whole
(``KK-2025-0142``, ``192.168.40.12``, ``0x80070005``, ``5CG1234XYZ``): an embedding tokenizer shatters those.
A third column holds the document's own identifiers (a ticket's number, a CI's serial and host name, from its
header), weighted above a mere mention, so the ticket KK-2025-0142 ranks above the one that says "same as
KK-2025-0142". An index of an older layout is rebuilt (emptied; every day is written again on its next sync).
Rows are keyed by chunk id and day and written by difference, so the index follows the chunk tables exactly as
Chroma does; ``ids_of_day`` lets the reconciliation check compare it with the record.
"""

import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sdc_resources.batches import batches

SQLITE_PARAMS = 900
LAYOUT = 2  # PRAGMA user_version of the current layout
WEIGHTS = "1.0, 4.0, 4.0"  # bm25() weights of words, identifiers, own identifiers
RARE_CHUNKS = 3  # a query word held by at most this many chunks names something (a product, a place, a person)
KEYWORDS = 3  # a query of at most this many words is a lookup ("laptop EliteBook"), not a question
# A token with a digit, or letters joined by - . : / @ _: an identifier, searched whole.
_IDENTIFIER = re.compile(r"(?<![\w-])(?=[\w.:/@-]*\d)[\w][\w.:/@-]*[\w]|(?<![\w-])[A-Za-z]+(?:[-_][A-Za-z0-9]+)+")
_WORD = re.compile(r"\w+", re.UNICODE)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, "
    "collection TEXT NOT NULL, day TEXT NOT NULL, source TEXT, customer_id TEXT, day_num INTEGER, "
    "content_hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS chunks_day ON chunks(day)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_text USING fts5(words, identifiers, own, "
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
    own: str = ""  # the text whose identifiers name the document itself (its header), if this chunk is that

    @property
    def content_hash(self) -> str:
        parts = (self.collection, self.day, self.source, self.customer_id, str(self.day_num), self.text, self.own)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LexicalResult:
    ranked: list[tuple[str, str, float]]
    """Chunk id, collection and BM25 score (higher is better), best first."""
    owners: int
    """How many of the first chunks name their document by an identifier of the query (a ticket's number)."""
    holders: frozenset[str]
    """The chunks that hold an identifier of the query at all (the owner, and tickets that mention it)."""
    exact: bool
    """Whether the query holds an identifier the index has, or is a few words with one only a few chunks hold
    (``laptop EliteBook``): then matching it matters more than any likeness of meaning. (In a question, rare
    words are many and say little.)"""


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
            if connection.execute("PRAGMA user_version").fetchone()[0] != LAYOUT:
                connection.execute("DROP TABLE IF EXISTS chunk_text")
                connection.execute("DROP TABLE IF EXISTS chunks")
                connection.execute(f"PRAGMA user_version = {LAYOUT}")
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
                    "INSERT INTO chunk_text (rowid, words, identifiers, own) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, row.text, " ".join(identifiers(row.text)), " ".join(identifiers(row.own))),
                )
        return {"written": len(new), "deleted": len(set(stale) - set(wanted))}

    def ids_of_day(self, day: str) -> set[str]:
        """The chunk ids the index holds for ``day``."""
        if not self.path.exists():
            return set()
        with self._db() as db:
            return {cid for (cid,) in db.execute("SELECT chunk_id FROM chunks WHERE day = ?", (day,))}

    def search(self, query: str, collections: list[str], where: dict[str, object], limit: int) -> "LexicalResult":
        """The chunks that match ``query`` best by BM25: any of its words, its identifiers whole, within
        ``collections`` and the filters ``where`` (``source``, ``customer_id``, ``day_num`` from). The chunks that
        name a document the query's identifiers are the own identifiers of come first: asked for KK-2025-0142,
        that ticket leads, then the ones that mention it."""
        found = list(dict.fromkeys(identifiers(query)))
        wanted = [i for i in found if any(c.isdigit() for c in i)]  # "e-mail" and "Wi-Fi" are words, not names
        words = [w for w in dict.fromkeys(_WORD.findall(query.lower())) if len(w) > 1]
        if not (words or found) or not self.path.exists():
            return LexicalResult([], 0, frozenset(), False)
        with self._db() as db:
            owners = self._ranked(db, " OR ".join(f'own:"{i}"' for i in wanted), collections, where, limit)
            named = " OR ".join(f'{{identifiers own}}:"{i}"' for i in wanted)
            held = self._ranked(db, named, collections, where, limit)
            # a known identifier's pieces are no words to look for ("KK" of every asset tag)
            pieces = set(_WORD.findall(" ".join(wanted).replace("_", " "))) if held else set()
            terms = [f'words:"{w}"' for w in words if w not in pieces]
            terms += [f'{{identifiers own}}:"{i}"' for i in found]
            ranked = self._ranked(db, " OR ".join(terms), collections, where, limit)
            lookup = len(words) <= KEYWORDS  # a few words, not a sentence: a lookup of a name
            exact = bool(held) or (lookup and _rare(db, [w for w in words if len(w) >= 4 and not w.isdigit()]))
        first = {cid for cid, _, _ in owners}
        ranked = [*owners, *(hit for hit in ranked if hit[0] not in first)][:limit]
        return LexicalResult(ranked, len(owners), frozenset(cid for cid, _, _ in held), exact)

    @staticmethod
    def _ranked(
        db: sqlite3.Connection, match: str, collections: list[str], where: dict[str, object], limit: int
    ) -> list[tuple[str, str, float]]:
        if not match:
            return []
        marks = ",".join("?" * len(collections))
        sql = (
            f"SELECT chunks.chunk_id, chunks.collection, -bm25(chunk_text, {WEIGHTS}) FROM chunk_text "
            "JOIN chunks ON chunks.rowid = chunk_text.rowid "
            f"WHERE chunk_text MATCH ? AND chunks.collection IN ({marks})"
        )
        params: list[object] = [match, *collections]
        for column in ("source", "customer_id"):
            if where.get(column):
                sql += f" AND chunks.{column} = ?"
                params.append(where[column])
        if where.get("day_num"):
            sql += " AND chunks.day_num >= ?"
            params.append(where["day_num"])
        sql += f" ORDER BY bm25(chunk_text, {WEIGHTS}) LIMIT ?"
        return [(cid, name, float(score)) for cid, name, score in db.execute(sql, [*params, limit])]


def _rare(db: sqlite3.Connection, words: list[str]) -> bool:
    """Whether one of ``words`` (folded as the index folds them) is held by 1 to ``RARE_CHUNKS`` chunks."""
    if not words:
        return False
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocabulary USING fts5vocab(main, chunk_text, 'row')")
    marks = ",".join("?" * len(words))
    folded = [fold(w) for w in words]
    held = db.execute(f"SELECT MIN(doc) FROM temp.vocabulary WHERE term IN ({marks})", folded).fetchone()[0]
    return held is not None and held <= RARE_CHUNKS


def fold(word: str) -> str:
    """A word as FTS5's unicode61 tokenizer with ``remove_diacritics 2`` holds it: lower case, accents gone."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _delete(db: sqlite3.Connection, chunk_ids: list[str]) -> None:
    for part in batches(sorted(set(chunk_ids)), SQLITE_PARAMS):
        marks = ",".join("?" * len(part))
        rows = f"SELECT rowid FROM chunks WHERE chunk_id IN ({marks})"
        db.execute(f"DELETE FROM chunk_text WHERE rowid IN ({rows})", part)
        db.execute(f"DELETE FROM chunks WHERE chunk_id IN ({marks})", part)
