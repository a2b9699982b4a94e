"""Syncro's assets materialized against the loopback server: sessions, the customer cache, and no key anywhere."""

from pathlib import Path

import dagster as dg
import polars as pl
from dagster._serdes import serialize_value

from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.index.assets import daily_index_assets
from sdc_assets.index.search import Query, search
from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.model import AuthorRole, SegmentKind, SourceSystem, make_session_id
from sdc_assets.syncro.assets import syncro_assets, syncro_sessions, syncro_tickets_raw
from sdc_assets.syncro.tickets import stored_as_listed
from sdc_resources.llm import LLM
from sdc_resources.syncro import NOT_CONFIGURED, Syncro
from sdc_tests.syncro.conftest import API_KEY

DAYS = ("2025-03-10", "2025-03-13")


def run(assets, resources, instance, days=DAYS, **kwargs):
    return dg.materialize(assets, resources=resources, instance=instance, tags=partition_range_tags(*days), **kwargs)


def test_tickets_become_sessions_with_every_comment(syncro, session_store, fake_syncro):
    resources = {"syncro": syncro, "session_store": session_store}
    with dg.instance_for_test() as instance:
        assert run([syncro_tickets_raw, *syncro_sessions], resources, instance).success

    by_day = {day: session_store.read_partition("syncro", day) for day in ("2025-03-10", "2025-03-11", "2025-03-12")}
    assert {d: sorted(s.meta.source_ref for s in v) for d, v in by_day.items()} == {
        "2025-03-10": ["ticket/5001", "ticket/5002"],
        "2025-03-11": ["ticket/5003", "ticket/5004"],  # 16:20 UTC is still the 11th in Amsterdam
        "2025-03-12": ["ticket/5005"],
    }
    printer = next(s for s in by_day["2025-03-10"] if s.meta.source_ref == "ticket/5001")
    assert [seg.kind for seg in printer.segments] == [
        SegmentKind.DESCRIPTION,
        SegmentKind.COMMENT,
        SegmentKind.COMMENT,
        SegmentKind.COMMENT,
        SegmentKind.RESOLUTION,
    ]  # all five, although the listing embedded only the first
    internal = printer.segments[1]
    assert internal.hidden
    assert internal.source_meta["internal"]
    assert internal.author == "Jan Visser"
    assert internal.author_role == AuthorRole.TECH
    reply = printer.segments[3]
    assert (reply.author, reply.author_role, reply.hidden) == ("Jan de Vries", AuthorRole.CUSTOMER, False)
    assert printer.context.customer_id == "101"
    assert printer.context.contact_id == "201"
    assert printer.context.attributes["status"] == "Resolved"
    assert printer.context.attributes["properties"] == {"Device Type": "Printer", "Locatie": "Winkel"}
    assert printer.context.attributes["assigned_tech"]["name"] == "Jan Visser"
    assert printer.insights.started_at.isoformat() == "2025-03-10T08:12:03.120000+00:00"
    outlook = next(s for s in by_day["2025-03-10"] if s.meta.source_ref == "ticket/5002")
    assert outlook.insights.started_at.isoformat() == "2025-03-10T12:02:00+00:00"  # +01:00 stored as UTC


def test_a_rerun_rewrites_nothing_and_a_deleted_ticket_leaves(syncro, session_store, fake_syncro):
    resources = {"syncro": syncro, "session_store": session_store}
    with dg.instance_for_test() as instance:
        run([syncro_tickets_raw, *syncro_sessions], resources, instance)
        again = run([syncro_tickets_raw, *syncro_sessions], resources, instance)
        written = [
            m.metadata["written"].value
            for m in again.asset_materializations_for_node("syncro_sessions")
            if "written" in m.metadata
        ]
        assert written
        assert not any(written)
        fake_syncro.world["tickets"] = [t for t in fake_syncro.world["tickets"] if t["id"] != 5002]
        run([syncro_tickets_raw, *syncro_sessions], resources, instance)
    assert [s.meta.source_ref for s in session_store.read_partition("syncro", "2025-03-10")] == ["ticket/5001"]


def test_customer_cache(syncro, fake_syncro, data_dir):
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [a for a in syncro_assets if not a.partitions_def], resources={"syncro": syncro}, instance=instance
        )
    assert result.success
    cache = pl.read_parquet(data_dir / "cache" / "customers.parquet")
    rows = {r["customer_id"]: r for r in cache.to_dicts()}
    assert len(rows) == 6
    jansen = rows["102"]
    assert jansen["business_name"] == "Jansen Installatietechniek B.V."
    assert jansen["person_name"] == "Kees Jansen"
    assert jansen["email_domains"] == ["jansen-it.nl"]
    assert jansen["phones"] == ["0612345678"]
    assert [c["name"] for c in jansen["contacts"]] == ["Kees Jansen", "Sanne Jansen"]  # /contacts adds Sanne
    assert jansen["contact_emails"] == ["k.jansen@jansen-it.nl", "s.jansen@jansen-it.nl"]
    assert jansen["machine_names"] == ["JIT-LT-014", "JIT-SRV-01"]
    assert rows["101"]["phones"] == ["0301234567"]  # +31 folded to 0
    assert rows["104"]["email_domains"] == []
    assert rows["104"]["emails"] == ["hethoekje@gmail.com"]  # shared provider
    assert rows["106"]["business_name"] is None
    assert rows["106"]["display_name"] == "Peter Bakker"
    assert "Dr. Anouk Smit" in rows["103"]["names"]
    (materialization,) = result.asset_materializations_for_node("customer_cache")
    assert materialization.metadata["dagster/row_count"].value == 6
    assert 0 <= materialization.metadata["age_hours"].value < 0.1
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_not_configured_materializes_empty_with_a_message(session_store, data_dir, monkeypatch):
    for name in ("SDC_SYNCRO_REPLAY_DIR", "SDC_SYNCRO_BASE_URL", "SYNCRO_API_KEY", "SYNCRO_SUBDOMAIN"):
        monkeypatch.delenv(name, raising=False)
    syncro = Syncro(raw_dir=str(data_dir / "raw"), cache_dir=str(data_dir / "cache"))
    with dg.instance_for_test() as instance:
        result = run(syncro_assets, {"syncro": syncro, "session_store": session_store}, instance)
    assert result.success
    statuses = {
        m.asset_key.to_user_string(): m.metadata["status"].value
        for m in result.get_asset_materialization_events()
        and [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
        if "status" in m.metadata
    }
    assert set(statuses) >= {"syncro_tickets_raw", "syncro_customers", "syncro_contacts"}
    assert set(statuses.values()) == {NOT_CONFIGURED}
    assert pl.read_parquet(data_dir / "cache" / "customers.parquet").height == 0


def test_the_canary_key_is_nowhere_in_the_event_log(syncro, session_store, fake_syncro, capfd, monkeypatch):
    monkeypatch.setenv("SYNCRO_API_KEY", API_KEY)
    from_env = syncro.model_copy(update={"api_key": dg.EnvVar("SYNCRO_API_KEY")})
    with dg.instance_for_test() as instance:
        result = run(syncro_assets, {"syncro": from_env, "session_store": session_store}, instance)
        assert result.success
        logs = instance.all_logs(result.run_id)
        stored_run = instance.get_run_by_id(result.run_id)
    assert len(logs) > 20
    assert fake_syncro.log  # the key was used ...
    assert API_KEY not in "\n".join(serialize_value(entry) for entry in logs)  # ... and never written down
    assert API_KEY not in serialize_value(stored_run)
    out, err = capfd.readouterr()
    assert API_KEY not in out + err


def test_ticket_sessions_land_in_the_tickets_collection(syncro, index_resources):
    resources = {**index_resources, "syncro": syncro, "llm": LLM(provider="none")}
    with dg.instance_for_test() as instance:
        assert run(
            [syncro_tickets_raw, *syncro_sessions, *enrichment_assets, *daily_index_assets], resources, instance
        ).success
    tickets = index_resources["vector_store"].collection("tickets")
    stored = tickets.get(include=["metadatas"])["metadatas"]
    assert stored
    assert {m["source"] for m in stored} == {"syncro"}
    assert {m["customer_id"] for m in stored} == {"101", "102", "103", "104", "105", "106"}
    hits = search(
        Query("VPN valt steeds weg op de laptops", k=1, source="syncro"),
        index_resources["embedder"],
        index_resources["vector_store"],
        index_resources["index_store"].lexical,
        Path(index_resources["session_store"].root),
    )
    assert hits[0].session_id == make_session_id(SourceSystem.SYNCRO, "ticket/5004")


def test_a_day_is_as_listed_only_with_the_same_tickets_fields_and_every_listed_comment_unchanged():
    comment = {"id": 1, "body": "printer offline"}
    listed = [{"id": 7, "subject": "Printer", "comments": [comment]}]
    fetched_later = {"id": 2, "body": "driver opnieuw geïnstalleerd"}
    assert stored_as_listed(listed, [{"id": 7, "subject": "Printer", "comments": [comment, fetched_later]}])
    assert not stored_as_listed(listed, [{"id": 7, "subject": "Printer (opgelost)", "comments": [comment]}])
    assert not stored_as_listed(listed, [{"id": 7, "subject": "Printer", "comments": [{"id": 1, "body": "edited"}]}])
    assert not stored_as_listed(listed, [])
    assert not stored_as_listed([], [{"id": 7, "subject": "Printer", "comments": [comment]}])
