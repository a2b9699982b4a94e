"""ChromaDB: embedded under data/chroma/ by default, a Chroma server when SDC_CHROMA_HOST is set."""

import ctypes
import functools
import gc
import sqlite3
from contextlib import closing, suppress
from pathlib import Path

import dagster as dg
from pydantic import Field

from sdc_resources.data_dir import default_data_path
from sdc_resources.settings import env, env_int


@functools.cache
def _client(path: str, host: str | None, port: int):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    return chromadb.PersistentClient(path=path, settings=settings)


class VectorStore(dg.ConfigurableResource):
    """Chroma collections in cosine space; vectors are always supplied, never computed by Chroma."""

    path: str = Field(default_factory=lambda: str(default_data_path("chroma")), description="Embedded store folder.")
    host: str | None = Field(
        default_factory=lambda: env("SDC_CHROMA_HOST") or None,
        description="A Chroma server's host; unset means the embedded store.",
    )
    port: int = Field(default_factory=lambda: env_int("SDC_CHROMA_PORT", 8000))

    def client(self):
        return _client(self.path, self.host, self.port)

    def collection(self, name: str, model: str | None = None):
        """The collection ``name``; one made here records ``model``, the embedding model of its vectors."""
        return self.client().get_or_create_collection(
            name,
            embedding_function=None,
            metadata={"model": model} if model else None,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def models(self) -> dict[str, str]:
        """Each collection and the embedding model of its vectors ("" when it does not say)."""
        return {c.name: (c.metadata or {}).get("model", "") for c in self.client().list_collections()}

    def held_models(self) -> dict[str, str]:
        """:meth:`models` without opening an embedded store (that rewrites its files): read from its catalogue,
        read-only; a catalogue this version cannot read, or a server, is asked as usual."""
        catalogue = Path(self.path) / "chroma.sqlite3"
        if self.host or not catalogue.exists():
            return self.models() if self.host else {}
        query = (
            "SELECT c.name, m.str_value FROM collections c "
            "LEFT JOIN collection_metadata m ON m.collection_id = c.id AND m.key = 'model'"
        )
        try:
            with closing(sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)) as db:
                return {name: model or "" for name, model in db.execute(query)}
        except sqlite3.Error:
            return self.models()

    def drop_other_models(self, names: set[str], model: str) -> list[str]:
        """Delete those of the collections ``names`` that hold another model's vectors: a model's vectors are
        never compared with another's (nor have their size). Returns the names dropped."""
        stale = sorted(name for name, held in self.models().items() if name in names and held != model)
        for name in stale:
            self.client().delete_collection(name)
        return stale

    def existing_collections(self) -> set[str]:
        return {c.name for c in self.client().list_collections()}

    def max_batch_size(self) -> int:
        return self.client().get_max_batch_size()

    def release(self) -> None:
        """Close the clients and give their memory back: an embedded store keeps the HNSW index of every
        collection it touched (about 350 MB for 85,000 vectors) until then, and glibc keeps freed pages. The
        next call opens the store again."""
        from chromadb.api.client import SharedSystemClient

        _client.cache_clear()
        SharedSystemClient.clear_system_cache()
        gc.collect()
        with suppress(OSError, AttributeError):  # not glibc: its allocator decides
            ctypes.CDLL("libc.so.6").malloc_trim(0)
