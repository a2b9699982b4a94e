"""Which days the stages after the sources still have to do: a day is up to date when every stage's mark
saw its current files with the current settings. ``sdc ingest`` starts a run only for the days that are not."""

from sdc_assets.enrichment.assets import AnalysisConfig, LinkingConfig, analysis_settings, linking_settings
from sdc_assets.graph.assets import GraphConfig, graph_day_state, graph_settings
from sdc_assets.index.assets import chroma_settings, chunk_settings, index_day_state
from sdc_resources.day_marks import files_state, settings_key


def stale_days(days: set[str], r: dict) -> set[str]:
    """The ``days`` some stage after the sources has not finished for their current files and settings
    (``r``: the resolved resources)."""
    sessions, index, portal, embedder = r["session_store"], r["index_store"], r["ticketportaal"], r["embedder"]
    on_sessions = {
        "linked_sessions": linking_settings(LinkingConfig(), r["syncro"], r["llm"]),
        "analyzed_sessions": analysis_settings(r["llm"]) if not AnalysisConfig().reanalyze else "",
        "chunks": chunk_settings(embedder),
    }
    graph = graph_settings(GraphConfig(), r["entity_model"], r["graph_store"], portal)
    marks, index_marks = sessions.marks(), index.marks()
    held = {stage: marks.read(stage, days) for stage in [*on_sessions, "knowledge_graph"]}
    held |= {stage: index_marks.read(stage, days) for stage in ("embeddings", "chroma_collections")}
    chroma, embedded = chroma_settings(embedder, r["vector_store"]), settings_key(embedder.model_id)

    def up_to_date(day: str) -> bool:
        state = sessions.day_state(day)
        return (
            all(held[stage].get(day) == (state, settings) for stage, settings in on_sessions.items())
            and held["knowledge_graph"].get(day) == (graph_day_state(day, sessions, index, portal), graph)
            and held["embeddings"].get(day) == (files_state([index.chunks_path(day)]), embedded)
            and held["chroma_collections"].get(day) == (index_day_state(day, index), chroma)
        )

    return {day for day in days if not up_to_date(day)}
