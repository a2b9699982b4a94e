"""The chunk table: one parquet file per day (and ``reference`` for KB articles and CIs) of what is indexed."""

import polars as pl

CHUNK_SCHEMA = {
    "chunk_id": pl.String,
    "session_id": pl.String,
    "source": pl.String,
    "collection": pl.String,
    "chunk_type": pl.String,
    "text": pl.String,
    "embed_text": pl.String,
    "embed_key": pl.String,
    "metadata": pl.String,
    "session_version": pl.String,
}
REFERENCE = "reference"
"""The chunk table of the KB articles and CIs, which have no day."""
