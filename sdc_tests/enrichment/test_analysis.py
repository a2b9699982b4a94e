"""Titles and summaries: the extractive fallback on fixtures, and ``analyzed_sessions`` with and without an LLM."""

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from sdc_assets.enrichment.analysis import SUMMARY_MAX, TITLE_MAX, extractive
from sdc_assets.enrichment.assets import analyzed_sessions
from sdc_assets.sessions.model import (
    AuthorRole,
    SegmentKind,
    Session,
    SessionContext,
    SessionInsights,
    SessionMeta,
    SessionSegment,
    SessionStatus,
    SourceSystem,
)
from sdc_resources.llm import LLM

DAY = "2025-03-10"
LOG_DUMP = (
    "2025-03-10 08:12:01 ERROR [Spooler] 0x800706BA RPC server unavailable\n"
    "C:\\Windows\\System32\\spool\\PRINTERS\\00012.SPL locked\n"
    "De printer op de balie drukt niets meer af sinds de update van vanochtend.\n"
    "Spooler herstart, daarna werkte alles weer."
)


def _session(n: int, segments: list[tuple[SegmentKind, str]], title: str | None = None, **context) -> Session:
    return Session(
        meta=SessionMeta.for_source(SourceSystem.SCREENCONNECT, f"analysis/{n}", [], DAY, status="linked"),
        context=SessionContext(**context),
        insights=SessionInsights(title=title, started_at=datetime(2025, 3, 10, 8, tzinfo=UTC)),
        segments=[SessionSegment(kind=k, text=t, author_role=AuthorRole.TECH) for k, t in segments],
    ).with_content_hash()


def test_the_extractive_title_skips_log_lines_and_stays_short():
    session = _session(1, [(SegmentKind.NOTE, LOG_DUMP)], customer_name="Tandartspraktijk Smile")
    result = extractive(session)
    assert result.title == "De printer op de balie drukt niets meer af sinds de update van vanochtend."
    assert not result.title.startswith("2025-03-10")
    assert result.summary.startswith("Remote session for Tandartspraktijk Smile on 2025-03-10, 1 entry.")
    assert "Problem: De printer op de balie" in result.summary


def test_the_extractive_summary_quotes_problem_and_outcome_and_keeps_a_source_title():
    session = _session(
        2,
        [
            (SegmentKind.DESCRIPTION, "Outlook vraagt steeds om het wachtwoord. " * 30),
            (SegmentKind.RESOLUTION, "Nieuw profiel aangemaakt."),
        ],
        title="Outlook wachtwoordprompt",
        customer_name="Bakkerij de Vries B.V.",
    )
    result = extractive(session)
    assert result.title == "Outlook wachtwoordprompt"
    assert "Outcome: Nieuw profiel aangemaakt." in result.summary
    assert len(result.title) <= TITLE_MAX
    assert len(result.summary) <= SUMMARY_MAX


def test_a_session_with_nothing_readable_still_gets_a_title():
    result = extractive(_session(3, [(SegmentKind.CONNECTION, "Tech connected")]))
    assert result.title == "Remote session, 2025-03-10"
    assert result.summary


def test_a_long_sentence_is_cut_at_a_word():
    result = extractive(_session(4, [(SegmentKind.NOTE, "Printer " + "zeer " * 40 + "traag.")]))
    assert len(result.title) <= TITLE_MAX
    assert result.title.endswith("…")
    assert "  " not in result.title


def _run(resources: dict, data_dir: Path) -> dict:
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [analyzed_sessions],
            resources=resources,
            instance=instance,
            partition_key=DAY,
            run_config={"ops": {"analyzed_sessions": {"config": {"quarantine_dir": str(data_dir / "q")}}}},
        )
    assert result.success
    (event,) = result.asset_materializations_for_node("analyzed_sessions")
    return {k: v.value for k, v in event.metadata.items()}


def test_analyzed_sessions_with_the_llm_then_nothing_is_sent_again(data_dir, session_store, fake_openai):
    sessions = [
        _session(5, [(SegmentKind.NOTE, LOG_DUMP)], customer_name="Smile"),
        _session(6, [(SegmentKind.NOTE, "Wifi in de wachtkamer valt weg.")], customer_name="Flora"),
    ]
    session_store.write_partition("screenconnect", DAY, sessions)
    fake_openai.script = {
        "balie": [
            '{"title": "Baliepritner drukt niet af na update",'
            ' "summary": "Spooler vastgelopen na de update; herstart loste het op."}'
        ],
        "Wifi": ["not json", "still not json"],
    }
    llm = LLM(provider="openai", base_url=fake_openai.base_url, api_key="sk-test", model_complex="big")
    resources = {"session_store": session_store, "llm": llm}
    first = _run(resources, data_dir)
    stored = {s.context.customer_name: s for s in session_store.read_partition("screenconnect", DAY)}
    assert stored["Smile"].insights.title == "Baliepritner drukt niet af na update"
    assert stored["Smile"].meta.status == SessionStatus.ANALYZED
    assert stored["Smile"].meta.analyzed_hash == stored["Smile"].meta.content_hash
    # Two bad answers: quarantined with the reason, and the extractive text instead.
    assert stored["Flora"].insights.title == "Wifi in de wachtkamer valt weg."
    assert stored["Flora"].insights.summary
    reason = json.loads((data_dir / "q" / f"analysis-{DAY}.jsonl").read_text())["reason"]
    assert reason.count("invalid answer") == 2
    assert first["llm_calls"] == 3
    assert first["method_llm_in_run"] == 1
    assert first["method_extractive_after_llm_failure_in_run"] == 1
    assert all(r["model"] == "big" for r in fake_openai.requests)

    again = _run(resources, data_dir)
    assert again["llm_calls"] == 0
    assert len(fake_openai.requests) == 3


def test_without_an_llm_every_session_is_analyzed_extractively(data_dir, session_store):
    session_store.write_partition("screenconnect", DAY, [_session(7, [(SegmentKind.NOTE, LOG_DUMP)])])
    summary = _run({"session_store": session_store, "llm": LLM(provider="none")}, data_dir)
    assert summary["method_extractive_in_run"] == 1
    assert summary["llm_calls"] == 0
    (stored,) = session_store.read_partition("screenconnect", DAY)
    assert stored.meta.status == SessionStatus.ANALYZED
    assert stored.insights.summary


def test_an_unlinked_session_is_analyzed_and_becomes_analyzed_once_linked_without_a_new_call(
    data_dir, session_store, fake_openai
):
    session = _session(8, [(SegmentKind.NOTE, "Scanner op de receptie scant niet naar e-mail.")])
    waiting = session.model_copy(
        update={"meta": session.meta.model_copy(update={"status": SessionStatus.NEEDS_LINKING})}
    )
    session_store.write_partition("screenconnect", DAY, [waiting])
    fake_openai.script = {
        "Scanner": ['{"title": "Scanner scant niet naar e-mail", "summary": "Scan-naar-mail faalt."}']
    }
    llm = LLM(provider="openai", base_url=fake_openai.base_url, api_key="sk-test")
    resources = {"session_store": session_store, "llm": llm}
    assert _run(resources, data_dir)["llm_calls"] == 1
    (stored,) = session_store.read_partition("screenconnect", DAY)
    assert stored.meta.status == SessionStatus.NEEDS_LINKING
    assert stored.insights.summary == "Scan-naar-mail faalt."
    linked = stored.model_copy(update={"meta": stored.meta.model_copy(update={"status": SessionStatus.LINKED})})
    session_store.save([linked])
    summary = _run(resources, data_dir)
    assert summary["llm_calls"] == 0
    assert len(fake_openai.requests) == 1
    assert session_store.read_partition("screenconnect", DAY)[0].meta.status == SessionStatus.ANALYZED


def test_events_and_commands_never_make_a_title_but_user_notes_do():
    events = [
        (SegmentKind.EVENT, "Session created: Support Jansen (Support)"),
        (SegmentKind.CONNECTION, "NWL-SRV01 (Guest) connected from 10.1.1.10"),
        (SegmentKind.COMMAND, "Get-Service spooler | Restart-Service"),
    ]
    bare = _session(9, events, customer_name="Northwind Legal LLP", machine_names=["NWL-SRV01"])
    assert extractive(bare).title == "Remote session for Northwind Legal LLP on NWL-SRV01, 2025-03-10"
    noted = bare.model_copy(
        update={"insights": bare.insights.model_copy(update={"user_notes": ["Back-up taak faalde, schijf vol."]})}
    )
    assert extractive(noted).title == "Back-up taak faalde, schijf vol."


def test_a_title_of_two_letters_from_the_source_is_kept_and_analyzed(tmp_path):
    from sdc_assets.sessions.store import SessionStore

    store = SessionStore(root=str(tmp_path / "sessions"))
    short = _session(7, [(SegmentKind.NOTE, "Laptop start niet op na de update van gisteren.")], title="PC")
    store.write_partition("screenconnect", DAY, [short])
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [analyzed_sessions],
            resources={"session_store": store, "llm": LLM(provider="none")},
            instance=instance,
            partition_key=DAY,
        )
    assert result.success
    (session,) = store.read_partition("screenconnect", DAY)
    assert session.insights.title == "PC"
    assert session.insights.summary
