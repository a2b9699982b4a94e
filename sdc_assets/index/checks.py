"""``chroma_matches_record``: the ids Chroma and the lexical index hold for each day equal the record of what
was indexed. It runs
with every ``chroma_collections`` materialization and alone, for any days (say, after restoring Chroma)."""

import dagster as dg

from sdc_assets.index.collections import DAILY_COLLECTIONS
from sdc_assets.index.vector_sync import INDEXED_SCHEMA, held_by_day
from sdc_assets.partitions import daily_partitions
from sdc_resources.index_store import IndexStore
from sdc_resources.vector_store import VectorStore

SHOWN_IDS = 20


def index_mismatches(days: list[str], index_store: IndexStore, vector_store: VectorStore) -> dict[str, dict]:
    """Per day that differs: how many ids only Chroma holds and only the record holds, and the first of each."""
    mismatches, by_day = {}, held_by_day(vector_store, DAILY_COLLECTIONS)
    for day in days:
        recorded = set(index_store.read(index_store.indexed_path(day), INDEXED_SCHEMA)["chunk_id"])
        held, lexical = set(by_day.get(day, {})), index_store.lexical.ids_of_day(day)
        if recorded != held or recorded != lexical:
            differ = {"chroma": (held - recorded, recorded - held), "lexical": (lexical - recorded, recorded - lexical)}
            mismatches[day] = {
                key: value
                for store, (extra, missing) in differ.items()
                for key, value in (
                    (f"only_in_{store}", len(extra)),
                    (f"missing_in_{store}", len(missing)),
                    (f"first_only_in_{store}", sorted(extra)[:SHOWN_IDS]),
                    (f"first_missing_in_{store}", sorted(missing)[:SHOWN_IDS]),
                )
                if value
            }
    return mismatches


@dg.asset_check(
    asset="chroma_collections",
    partitions_def=daily_partitions,
    description="The ids Chroma holds for each day equal the record of what was indexed (data/index/indexed/); "
    "a difference means Chroma was changed or restored behind SDC's back: materialize chroma_collections for "
    "those days, which writes what Chroma lost and deletes what it should not hold.",
)
def chroma_matches_record(
    context: dg.AssetCheckExecutionContext, index_store: IndexStore, vector_store: VectorStore
) -> dg.AssetCheckResult:
    mismatches = index_mismatches(context.partition_keys, index_store, vector_store)
    vector_store.release()
    return dg.AssetCheckResult(
        passed=not mismatches,
        metadata={"days_checked": len(context.partition_keys), "mismatches": dg.MetadataValue.json(mismatches)},
    )
