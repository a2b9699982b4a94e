"""Syncro as the official spec's examples describe it, and as live accounts bend it (hypothesis).

Every run ends, asks a bounded number of requests, lands every good record as a session and quarantines
every bad one with the field and the reason."""

import json
import os
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.store import SessionStore
from sdc_assets.syncro.assets import syncro_assets
from sdc_resources.syncro import Syncro
from sdc_tests.syncro.conftest import API_KEY
from sdc_tests.syncro.spec_server import DAYS, MISSING, Quirks, SpecSyncro, serve_spec, spec_world

MAX_PAGES = 30
# (field, value, what happens): "refused" leaves the ticket out, "field" drops the field and loads the ticket,
# "fine" loads it as it is.
TICKET_MUTATIONS = [
    ("id", MISSING, "refused"),
    ("id", "zeven", "refused"),
    ("", "not a ticket", "refused"),
    ("created_at", MISSING, "refused"),
    ("created_at", 1741600000, "refused"),
    ("created_at", "gisteren", "refused"),
    ("created_at", "2025-03-11T09:13:09", "fine"),  # no offset: read in the account's zone
    ("updated_at", "later", "field"),
    ("user", "Priya", "field"),
    ("properties", ["Device Type"], "field"),
    ("comments", "Zie bijlage", "field"),
    ("tag_list", "printer, spooler", "fine"),
    ("subject", None, "fine"),
]
FUZZ = settings(
    max_examples=int(os.environ.get("SDC_FUZZ_EXAMPLES", "12")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _syncro(fake: SpecSyncro, data: Path) -> Syncro:
    return Syncro(
        base_url=fake.base_url,
        api_key=API_KEY,
        raw_dir=str(data / "raw" / "syncro"),
        cache_dir=str(data / "cache"),
        quarantine_dir=str(data / "quarantine" / "syncro"),
        max_pages=MAX_PAGES,
        retries=0,
    )


def _quarantined(data: Path) -> list[dict]:
    return [json.loads(line) for p in (data / "quarantine" / "syncro").glob("*.jsonl") for line in p.open()]


quirks = st.builds(
    Quirks,
    page_size=st.integers(3, 6),
    ignore_page=st.sets(st.sampled_from(["/tickets", "/customer_assets", "/contacts"]), max_size=1),
    total_pages=st.dictionaries(st.sampled_from(["/tickets", "/customers"]), st.just(1_000_000), max_size=1),
    duplicate=st.sets(st.sampled_from(["/tickets", "/customers", "/contacts"]), max_size=2),
    status=st.dictionaries(st.sampled_from(["/customer_assets", "/contacts"]), st.sampled_from([403, 404]), max_size=1),
    mutations=st.lists(
        st.tuples(st.just("tickets"), st.integers(0, 11), st.sampled_from(TICKET_MUTATIONS)).map(
            lambda m: (m[0], m[1], m[2][0], m[2][1])
        ),
        max_size=4,
        unique_by=lambda m: m[1],
    ),
)


@FUZZ
@given(quirks=quirks)
def test_every_run_ends_bounded_and_sorts_good_from_bad(tmp_path_factory, quirks):
    data = tmp_path_factory.mktemp("data")
    fake = SpecSyncro(spec_world(), API_KEY, quirks)
    server = serve_spec(fake)
    try:
        store = SessionStore(root=str(data / "sessions"))
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                syncro_assets,
                resources={"syncro": _syncro(fake, data), "session_store": store},
                instance=instance,
                tags=partition_range_tags(DAYS[0], DAYS[-1]),
                raise_on_error=False,
            )
    finally:
        server.shutdown()
        server.server_close()
    listings = [e for e in fake.log if "/comments" not in e["path"]]
    assert len(listings) <= 4 * (MAX_PAGES + 1)  # no listing pages on without end
    assert len(fake.log) - len(listings) <= 2 * 12  # comments: one or two pages a ticket

    # A server that ignores `page` while its meta says there is more: a listing known to be cut short fails its
    # step and leaves what was stored (an absent ticket would read as a deleted one); anything else succeeds.
    cut_short = {
        p
        for p in quirks.ignore_page - set(quirks.status)
        if p != "/customer_assets" and len(fake.listing(p.strip("/"))) > quirks.page_size
    }
    failed = {e.step_key for e in result.all_events if e.is_step_failure}
    assert failed == {f"syncro_{p.strip('/')}" if p != "/tickets" else "syncro_tickets_raw" for p in cut_short}
    if "/tickets" in cut_short:
        assert not list((data / "sessions").rglob("*.json"))
        return
    visible = fake.listing("tickets")
    fate = {
        index: next(f for n, v, f in TICKET_MUTATIONS if (n, v) == (name, value))
        for _, index, name, value in quirks.mutations
    }
    expected = {7000 + i for i, t in enumerate(fake.listing("tickets")) if t in visible and fate.get(i) != "refused"}
    sessions = [s for day in DAYS for s in store.read_partition("syncro", day)]
    assert {int(s.meta.source_ref.split("/")[1]) for s in sessions} == expected
    assert all(
        len([seg for seg in s.segments if seg.text]) == 3 for s in sessions if "comments" not in s.context.attributes
    )

    problems = _quarantined(data)
    for _, index, name, _ in quirks.mutations:
        if fate[index] != "fine" and fake.listing("tickets")[index] in visible:
            field = name or "id"
            assert any(p["field"] == field for p in problems), (name, problems)
    if not cut_short:
        cache = pl.read_parquet(data / "cache" / "customers.parquet")
        assert cache["customer_id"].n_unique() == cache.height == 5  # listed twice or not: once in the cache


def test_a_listing_the_key_may_not_read_leaves_a_cache_that_says_so(tmp_path):
    fake = SpecSyncro(spec_world(), API_KEY, Quirks(status={"/customer_assets": 403}))
    server = serve_spec(fake)
    try:
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                [a for a in syncro_assets if not a.partitions_def],
                resources={"syncro": _syncro(fake, tmp_path)},
                instance=instance,
            )
    finally:
        server.shutdown()
        server.server_close()
    assert result.success
    cache = pl.read_parquet(tmp_path / "cache" / "customers.parquet")
    assert cache.height == 5
    assert cache["machine_names"].list.len().sum() == 0
    assert {"6573253258", "1333585295"} <= set(cache["phones"][0])  # the spec's "657.325.3258 x330": no extension
    metadata = result.asset_materializations_for_node("customer_cache")[0].metadata
    parts = metadata["parts"].value
    assert parts["syncro_customers"].startswith("fetched")
    assert parts["syncro_contacts"].startswith("fetched")
    assert parts["syncro_customer_assets"].startswith("missing")
    assert "Assets - List/Search" in parts["syncro_customer_assets"]


@pytest.mark.parametrize(("quirk", "incomplete"), [
    (Quirks(ignore_page={"/customer_assets"}), False),  # no meta: a repeated page is how such a listing ends
    (Quirks(total_pages={"/customers": 1_000_000}, ignore_page={"/customers"}), True),  # meta says there is more
])  # fmt: skip
def test_a_server_that_ignores_page_is_asked_twice_and_no_more(tmp_path, quirk, incomplete):
    fake = SpecSyncro(spec_world(), API_KEY, quirk)
    server = serve_spec(fake)
    try:
        client = _syncro(fake, tmp_path).client()
        listing = client.customer_assets() if "/customer_assets" in quirk.ignore_page else client.customers()
    finally:
        server.shutdown()
        server.server_close()
    assert len(fake.log) == 2
    assert len(listing) == quirk.page_size
    assert any("repeats page 1" in n for n in client.notices)
    assert bool(client.incomplete) == incomplete


def test_no_quarantined_records_names_the_tickets_that_could_not_be_read_in_the_run_and_alone(tmp_path):
    bad = [("tickets", 0, "id", "zeven"), ("tickets", 1, "updated_at", "later")]
    fake = SpecSyncro(spec_world(), API_KEY, Quirks(mutations=bad))
    server = serve_spec(fake)
    defs = dg.Definitions(
        assets=syncro_assets,
        resources={"syncro": _syncro(fake, tmp_path), "session_store": SessionStore(root=str(tmp_path / "s"))},
    )
    job = defs.resolve_implicit_global_asset_job_def()
    key = dg.AssetCheckKey(dg.AssetKey("syncro_tickets_raw"), "no_quarantined_records")
    tags = partition_range_tags(DAYS[0], DAYS[-1])
    try:
        with dg.instance_for_test() as instance:
            run = job.get_subset(asset_selection={key.asset_key}).execute_in_process(instance=instance, tags=tags)
            alone = job.get_subset(asset_selection=set(), asset_check_selection={key}).execute_in_process(
                instance=instance, tags=tags
            )
    finally:
        server.shutdown()
        server.server_close()
    assert run.success
    for result in (run, alone):
        (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.asset_check_key == key]
        assert not evaluation.passed
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.metadata["quarantined_records"].value == 2
        reasons = evaluation.metadata["first_reasons"].value
        assert any("updated_at" in r and "later" in r for r in reasons)
        assert any(r.startswith("/tickets") and "no integer 'id'" in r for r in reasons)
    assert not alone.asset_materializations_for_node("syncro_tickets_raw")
