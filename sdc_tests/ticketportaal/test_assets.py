"""The ticketportaal's assets materialized against the real MariaDB: sessions, KB and CI pick-up."""

from datetime import datetime
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.model import AuthorRole, SegmentKind
from sdc_assets.ticketportaal.assets import (
    ticketportaal_cis,
    ticketportaal_kb,
    ticketportaal_sessions,
    ticketportaal_tickets_raw,
)
from sdc_resources.jsonl import read_jsonl
from sdc_resources.ticketportaal import NOT_CONFIGURED, Ticketportaal
from sdc_resources.ticketportaal_schema import configuration_items, knowledge_base, tickets

DAYS = ("2025-03-10", "2025-03-12")
TICKET_ASSETS = [ticketportaal_tickets_raw, *ticketportaal_sessions]


def run(assets, resources, instance, days=DAYS, **kwargs):
    return dg.materialize(assets, resources=resources, instance=instance, tags=partition_range_tags(*days), **kwargs)


def _metadata(result, asset: str, day: str | None = None) -> dict:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.to_user_string() == asset and materialization.partition == day:
            return {k: v.value for k, v in materialization.metadata.items()}
    raise AssertionError(f"no materialization of {asset} {day}")


def test_tickets_become_sessions_on_their_amsterdam_day(ticketportaal, session_store):
    resources = {"ticketportaal": ticketportaal, "session_store": session_store}
    with dg.instance_for_test() as instance:
        result = run(TICKET_ASSETS, resources, instance)
        assert result.success
        assert _metadata(result, "ticketportaal_tickets_raw", "2025-03-10")["comments"] == 4

        by_day = {
            d: session_store.read_partition("ticketportaal", d) for d in ("2025-03-10", "2025-03-11", "2025-03-12")
        }
        assert {d: sorted(s.meta.source_ref for s in v) for d, v in by_day.items()} == {
            "2025-03-10": ["ticket/1", "ticket/2"],
            "2025-03-11": ["ticket/3", "ticket/4"],
            "2025-03-12": ["ticket/5"],
        }
        printer = next(s for s in by_day["2025-03-10"] if s.meta.source_ref == "ticket/1")
        assert [(seg.kind, seg.author, seg.author_role, seg.hidden) for seg in printer.segments] == [
            (SegmentKind.DESCRIPTION, "Kees Jansen", AuthorRole.CUSTOMER, False),
            (SegmentKind.COMMENT, "Priya Sharma", AuthorRole.TECH, False),
            (SegmentKind.COMMENT, "Priya Sharma", AuthorRole.TECH, True),
            (SegmentKind.COMMENT, "Kees Jansen", AuthorRole.CUSTOMER, False),
            (SegmentKind.RESOLUTION, "Priya Sharma", AuthorRole.TECH, False),
        ]
        attributes = printer.context.attributes
        assert attributes["ticket_number"] == "KK-2025-0001"
        assert attributes["category"] == "Hardware"
        assert attributes["fields"] == {
            "Merk": "HP",
            "Model": "LaserJet Pro M404dn",
            "Locatie": "Kantoor Utrecht, 2.12",
        }
        assert attributes["configuration_items"][0]["name"] == "PRN-FIN-01"
        assert printer.context.machine_names == ["PRN-FIN-01"]
        assert printer.context.emails == ["kees.jansen@kruitkramer.nl"]
        assert printer.insights.title == "Printer Financiën drukt niet af"
        assert printer.insights.started_at.isoformat() == "2025-03-10T08:15:00+00:00"

        again = run(TICKET_ASSETS, resources, instance)
        assert _metadata(again, "ticketportaal_tickets_raw", "2025-03-10")["changed"] is False
        assert _metadata(again, "ticketportaal_sessions", "2025-03-10")["written"] == 0

        with ticketportaal.connect() as connection:
            connection.execute(sa.delete(tickets).where(tickets.c.ticket_id == 2))
        run(TICKET_ASSETS, resources, instance)
        assert [s.meta.source_ref for s in session_store.read_partition("ticketportaal", "2025-03-10")] == ["ticket/1"]


def test_kb_and_cis_are_picked_up_by_updated_at(ticketportaal, session_store):
    resources = {"ticketportaal": ticketportaal}
    raw = Path(ticketportaal.raw_dir)
    with dg.instance_for_test() as instance:
        first = dg.materialize([ticketportaal_kb, ticketportaal_cis], resources=resources, instance=instance)
        assert _metadata(first, "ticketportaal_kb")["read"] == 2
        articles = read_jsonl(raw / "ticketportaal_kb.jsonl")
        assert [a["kb_id"] for a in articles] == [1, 2]
        assert articles[0]["text"] == (
            "Printer drukt niet af\n\nBlijven afdruktaken in de wachtrij staan?\n\n"
            "- Herstart de print spooler service.\n- Installeer de printerdriver opnieuw.\n- Maak de wachtrij leeg.\n\n"
            "Daarna werkt afdrukken weer."
        )
        assert "track()" not in articles[1]["text"]
        assert "Instellingen > Apps" in articles[1]["text"]
        assert [c["ci_number"] for c in read_jsonl(raw / "ticketportaal_cis.jsonl")] == [
            "CI-2025-0001", "CI-2025-0002", "CI-2025-0003", "CI-2025-0005"
        ]  # fmt: skip

        quiet = dg.materialize([ticketportaal_kb, ticketportaal_cis], resources=resources, instance=instance)
        assert _metadata(quiet, "ticketportaal_kb")["new_or_changed"] == 0
        assert _metadata(quiet, "ticketportaal_cis")["changed"] is False

        with ticketportaal.connect() as connection:
            connection.execute(
                sa.update(knowledge_base)
                .where(knowledge_base.c.kb_id == 2)
                .values(title="Microsoft 365 online herstellen", updated_at=datetime(2025, 3, 20))
            )
            connection.execute(sa.update(knowledge_base).where(knowledge_base.c.kb_id == 1).values(is_published=False))
            connection.execute(
                sa.update(configuration_items)
                .where(configuration_items.c.ci_id == 5)
                .values(status="Afgeschreven", updated_at=datetime(2025, 3, 20))
            )
        changed = dg.materialize([ticketportaal_kb, ticketportaal_cis], resources=resources, instance=instance)
        assert _metadata(changed, "ticketportaal_kb") | {"read": 1, "removed": 1} == _metadata(
            changed, "ticketportaal_kb"
        )
        assert [(a["kb_id"], a["title"]) for a in read_jsonl(raw / "ticketportaal_kb.jsonl")] == [
            (2, "Microsoft 365 online herstellen")
        ]
        assert [c["ci_id"] for c in read_jsonl(raw / "ticketportaal_cis.jsonl")] == [1, 2, 3]


def test_not_configured_materializes_empty_with_the_reason(tmp_path, session_store):
    portal = Ticketportaal(raw_dir=str(tmp_path / "raw"), quarantine_dir=str(tmp_path / "q"))
    with dg.instance_for_test() as instance:
        result = run(TICKET_ASSETS, {"ticketportaal": portal, "session_store": session_store}, instance)
        assert result.success
        assert _metadata(result, "ticketportaal_tickets_raw", "2025-03-10")["status"] == NOT_CONFIGURED
