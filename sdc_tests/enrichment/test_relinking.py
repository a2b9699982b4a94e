"""Sessions waiting for review are linked again when the customer cache changes; a person's decision is applied
and never overwritten; the relink sensor finds the days to re-run."""

import csv
import json
from pathlib import Path

import dagster as dg

from sdc_assets.enrichment.assets import linked_sessions
from sdc_assets.enrichment.decisions import read_decisions
from sdc_assets.enrichment.linked_day import review_csv
from sdc_assets.enrichment.sensors import plan_relink, relink_sensor
from sdc_assets.sessions.model import Session, SessionContext, SessionMeta, SessionStatus, SourceSystem
from sdc_assets.syncro.customers import customer_cache_table
from sdc_resources.atomic import write_atomic_with
from sdc_resources.llm import LLM
from sdc_resources.syncro import Syncro

DAY = "2025-03-10"
BAKKERIJ = {"id": 1, "business_name": "Bakkerij de Vries B.V.", "email": "info@bakkerijdevries.nl"}
GARAGE = {"id": 2, "business_name": "Garage Hendriks", "email": "werkplaats@garagehendriks.nl"}


def _cache(syncro: Syncro, customers: list[dict]) -> None:
    table = customer_cache_table(customers, [], [])
    write_atomic_with(Path(syncro.cache_dir) / "customers.parquet", table.write_parquet)


def _sessions(session_store) -> dict[str, Session]:
    sessions = [
        Session(
            meta=SessionMeta.for_source(SourceSystem.NOTES, f"note/{name}", [], DAY),
            context=SessionContext(customer_name=name),
        ).with_content_hash()
        for name in ("Garage Hendriks", "Bakkerij de Vries", "Onbekend Bedrijf Zuid")
    ]
    session_store.write_partition("notes", DAY, sessions)
    return {s.context.customer_name: s for s in sessions}


def _run(data_dir: Path, syncro: Syncro, session_store, **config) -> dict:
    resources = {"session_store": session_store, "syncro": syncro, "llm": LLM(provider="none")}
    run_config = {"ops": {"linked_sessions": {"config": {"review_dir": str(data_dir / "review"), **config}}}}
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [linked_sessions], resources=resources, instance=instance, partition_key=DAY, run_config=run_config
        )
    (event,) = result.asset_materializations_for_node("linked_sessions")
    return {k: v.value for k, v in event.metadata.items()}


def _stored(session_store) -> dict[str, Session]:
    return {s.context.customer_name: s for s in session_store.read_day(DAY)}


def test_sessions_in_review_are_linked_again_when_the_customer_cache_changes(data_dir, session_store):
    syncro = Syncro(cache_dir=str(data_dir / "cache"), raw_dir=str(data_dir / "raw"))
    _cache(syncro, [BAKKERIJ])
    _sessions(session_store)
    first = _run(data_dir, syncro, session_store)
    assert first["linked_now"] == 3
    assert _stored(session_store)["Garage Hendriks"].meta.status == SessionStatus.NEEDS_REVIEW
    assert _run(data_dir, syncro, session_store)["linked_now"] == 0  # same cache: review waits for a person

    _cache(syncro, [BAKKERIJ, GARAGE])  # the customer was added in Syncro
    again = _run(data_dir, syncro, session_store)
    assert again["linked_now"] == 2  # the two in review, not the linked one
    stored = _stored(session_store)
    assert (stored["Garage Hendriks"].context.customer_id, stored["Garage Hendriks"].meta.status) == (
        "2",
        SessionStatus.LINKED,
    )
    assert stored["Onbekend Bedrijf Zuid"].meta.status == SessionStatus.NEEDS_REVIEW


def test_a_persons_decision_is_applied_and_relink_never_overwrites_it(data_dir, session_store):
    syncro = Syncro(cache_dir=str(data_dir / "cache"), raw_dir=str(data_dir / "raw"))
    _cache(syncro, [BAKKERIJ, GARAGE])
    sessions = _sessions(session_store)
    _run(data_dir, syncro, session_store)
    review = list(csv.DictReader((data_dir / "review" / f"{DAY}.csv").open()))
    assert [r["customer_name"] for r in review] == ["Onbekend Bedrijf Zuid"]
    assert review[0]["customer_id"] == ""  # the column a person fills in
    decisions = data_dir / "review" / "decisions.csv"
    decisions.write_text(
        "session_id,customer_id\n"
        f"{sessions['Onbekend Bedrijf Zuid'].meta.session_id},2\n"
        f"{sessions['Bakkerij de Vries'].meta.session_id},none\n"
    )
    decided = _run(data_dir, syncro, session_store)
    assert decided["decisions"] == 2
    stored = _stored(session_store)
    assert (
        stored["Onbekend Bedrijf Zuid"].context.customer_id,
        stored["Onbekend Bedrijf Zuid"].context.link_method,
    ) == (
        "2",
        "manual",
    )
    assert stored["Bakkerij de Vries"].context.customer_id is None  # a person said: no customer
    assert stored["Bakkerij de Vries"].meta.status == SessionStatus.LINKED
    assert not (data_dir / "review" / f"{DAY}.csv").exists()

    decisions.unlink()  # the file is gone, the decisions stay
    relinked = _run(data_dir, syncro, session_store, relink=True)
    assert relinked["linked_now"] == 1  # only Garage Hendriks; the manual ones are kept
    stored = _stored(session_store)
    assert stored["Onbekend Bedrijf Zuid"].context.customer_id == "2"
    assert stored["Bakkerij de Vries"].context.link_method == "manual"


def test_the_sensor_reruns_review_days_after_a_changed_cache_or_new_decisions(tmp_path):
    review = tmp_path / "review"
    review.mkdir()
    (review / "2025-03-10.csv").write_text("session_id,customer_name\ns1,Garage\n")
    (review / "2025-03-12.csv").write_text("session_id,customer_name\ns2,Bakker\n")
    first = plan_relink(review, (10, True), {})
    assert first.days == set()
    assert plan_relink(review, (10, True), first.cursor).days == set()  # nothing new
    assert plan_relink(review, (11, False), first.cursor).days == set()  # rebuilt, unchanged
    changed = plan_relink(review, (12, True), first.cursor)
    assert changed.days == {"2025-03-10", "2025-03-12"}
    (review / "decisions.csv").write_text("session_id,customer_id\ns2,7\n")
    decided = plan_relink(review, (12, True), changed.cursor)
    assert decided.days == {"2025-03-12"}


def test_the_sensor_asks_for_runs_of_linking_and_everything_after_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path))
    (tmp_path / "review").mkdir()
    (tmp_path / "review" / "2025-03-10.csv").write_text("session_id\ns1\n")
    with dg.instance_for_test() as instance:
        cursor = json.dumps({"cache": -1, "decisions": None})
        instance.report_runless_asset_event(dg.AssetMaterialization("customer_cache", metadata={"changed": True}))
        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        result = relink_sensor(context)
    (request,) = result.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2025-03-10"
    assert json.loads(result.cursor)["cache"] != -1


def test_a_row_left_empty_is_no_decision(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("session_id,customer_id,note\r\ns1,,\r\ns2,none,\r\ns3, 104 ,\r\n,5,\r\n", encoding="utf-8")
    decisions, problems = read_decisions(path)
    assert decisions == {"s2": None, "s3": "104"}
    assert problems == [f"{path}:5: no session_id; row skipped"]


def test_the_review_file_has_plain_line_ends():
    assert b"\r" not in review_csv([])
