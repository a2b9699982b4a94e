"""Syncro live: `sdc ingest` with a real key variable, one rate limit for every caller, deleted tickets.

All against the spec-shaped server on loopback, with tickets of the last few days."""

import contextlib
import heapq
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import sqlalchemy as sa

from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import daily_index_assets
from sdc_assets.partitions import daily_partitions, partition_range_tags
from sdc_assets.syncro.assets import fetch_tickets, syncro_sessions, syncro_tickets_raw
from sdc_assets.syncro.reconcile import syncro_reconcile_schedule
from sdc_resources.entity_model import EntityModel
from sdc_resources.graph_store import GraphStore, graph_nodes
from sdc_resources.llm import LLM
from sdc_resources.pacer import Pacer, PacerBusy, SharedWindow
from sdc_resources.syncro import Syncro
from sdc_resources.syncro_client import SyncroError
from sdc_tests.conftest import REPO
from sdc_tests.syncro.conftest import API_KEY
from sdc_tests.syncro.spec_server import Quirks, SpecSyncro, serve_spec, spec_world


def recent_days(n: int = 3) -> tuple[str, ...]:
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return tuple((today - timedelta(days=k)).isoformat() for k in range(n, 0, -1))


@pytest.fixture
def live_syncro():
    fake = SpecSyncro(spec_world(days=recent_days()), API_KEY, Quirks(page_size=5))
    server = serve_spec(fake)
    yield fake
    server.shutdown()
    server.server_close()


def _syncro(fake: SpecSyncro, data: Path, **kwargs) -> Syncro:
    return Syncro(
        base_url=fake.base_url,
        api_key=API_KEY,
        raw_dir=str(data / "raw" / "syncro"),
        cache_dir=str(data / "cache"),
        quarantine_dir=str(data / "quarantine" / "syncro"),
        **kwargs,
    )


@pytest.mark.slow
def test_sdc_ingest_with_a_key_reads_the_live_api(tmp_path, live_syncro):
    (tmp_path / "dagster.yaml").write_bytes((REPO / "dagster.yaml").read_bytes())
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "SDC_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "SYNCRO_API_KEY": API_KEY,
        "SDC_SYNCRO_BASE_URL": live_syncro.base_url,
        "SDC_SYNCRO_REPLAY_DIR": "",
        "TICKETPORTAAL_SQLITE": "",
    }
    sdc = str(Path(sys.executable).parent / "sdc")
    done = subprocess.run(
        [sdc, "ingest", "--source", "syncro"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sessions = sorted((tmp_path / "data" / "sessions" / "syncro").rglob("*.json"))
    assert len(sessions) == 12
    assert {p.parent.name for p in sessions} == set(recent_days())
    assert re.search(r"^  syncro +ok +3 +0$", done.stdout, re.M), done.stdout
    assert any(e["path"] == "/customers" for e in live_syncro.log)  # the live API, not a replay
    assert API_KEY not in done.stdout + done.stderr


class VirtualTime:
    """A clock shared by several threads that moves only when every one of them waits: no request is ever
    in flight while time jumps, so the server sees each request at the time the pacer let it go."""

    def __init__(self, participants: int):
        self.now = 1_000_000.0
        self._running = participants
        self._wakeups: list[float] = []
        self._cv = threading.Condition()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._cv:
            wake = self.now + seconds
            heapq.heappush(self._wakeups, wake)
            self._running -= 1
            self._advance()
            self._cv.wait_for(lambda: self.now >= wake)
            self._running += 1

    def leave(self) -> None:
        with self._cv:
            self._running -= 1
            self._advance()

    def _advance(self) -> None:
        if self._running == 0 and self._wakeups:
            self.now = max(self.now, heapq.heappop(self._wakeups))
            while self._wakeups and self._wakeups[0] <= self.now:
                heapq.heappop(self._wakeups)
            self._cv.notify_all()


def test_two_steps_and_a_sensor_tick_together_stay_within_the_limit(tmp_path, live_syncro):
    limit, clock = 5, VirtualTime(participants=3)
    arrivals: list[float] = []
    answer = live_syncro.answer
    live_syncro.answer = lambda *a: (arrivals.append(clock()), answer(*a))[1]  # the server's own log, timed
    syncro = _syncro(live_syncro, tmp_path, requests_per_minute=limit)

    def pacer(**kwargs) -> Pacer:  # what syncro.pacer() builds, on the virtual clock: one window per account
        shared = SharedWindow(tmp_path / "cache" / "syncro-rate.sqlite", syncro.url())
        return Pacer(limit, clock=clock, sleep=clock.sleep, shared=shared, **kwargs)

    def step_customers():
        client = syncro.client(pacer())
        client.customers(), client.contacts(), client.customer_assets()

    def step_tickets():
        days = list(recent_days())
        start = daily_partitions.time_window_for_partition_key(days[0]).start
        fetch_tickets(syncro.client(pacer()), days, start, syncro.zone, lambda _: None)

    def sensor_tick():
        with contextlib.suppress(SyncroError, PacerBusy):  # a busy window skips the tick; the next one tries again
            syncro.sensor_client(pacer(max_wait=15)).tickets(since_updated_at=datetime.now(UTC) - timedelta(days=7))

    errors = []

    def participant(work):
        try:
            work()
        except Exception as exc:
            errors.append(exc)
        finally:
            clock.leave()

    threads = [threading.Thread(target=participant, args=(w,)) for w in (step_customers, step_tickets, sensor_tick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert not any(t.is_alive() for t in threads)
    assert len(arrivals) > 3 * limit  # enough requests to need several windows
    busiest = max(sum(1 for t in arrivals if start <= t < start + 60) for start in arrivals)
    assert busiest == limit


@pytest.mark.slow
def test_a_ticket_deleted_in_syncro_leaves_sessions_index_and_graph(tmp_path, live_syncro, index_resources):
    data = Path(index_resources["index_store"].root).parent
    syncro = _syncro(live_syncro, data)
    graph = GraphStore(sqlite_path=str(data / "graph" / "graph.sqlite"), cache_dir=str(data / "graph" / "entities"))
    from sdc_resources.ticketportaal import Ticketportaal

    resources = {
        **index_resources,
        "syncro": syncro,
        "graph_store": graph,
        "entity_model": EntityModel(),
        "llm": LLM(provider="none"),
        "ticketportaal": Ticketportaal(sqlite_path=None, raw_dir=str(data / "raw" / "ticketportaal")),
    }
    days = recent_days()
    assets = [syncro_tickets_raw, *syncro_sessions, *enrichment_assets, *daily_index_assets, *graph_assets]
    with dg.instance_for_test() as instance:
        assert dg.materialize(
            assets, resources=resources, instance=instance, tags=partition_range_tags(days[0], days[-1])
        ).success
        gone = live_syncro.world["tickets"].pop(4)  # deleted in Syncro
        day = gone["created_at"][:10]
        requests = syncro_reconcile_schedule(dg.build_schedule_context(instance=instance, resources={"syncro": syncro}))
        (request,) = requests
        assert (
            request.tags["dagster/asset_partition_range_start"],
            request.tags["dagster/asset_partition_range_end"],
        ) == (day, day)
        assert dg.materialize(assets, resources=resources, instance=instance, tags=request.tags).success

    refs = {s.meta.source_ref for d in days for s in index_resources["session_store"].read_partition("syncro", d)}
    assert f"ticket/{gone['id']}" not in refs
    assert len(refs) == 11
    chroma = index_resources["vector_store"].collection("tickets").get(include=["metadatas"])["metadatas"]
    assert {m["ref"] for m in chroma} == refs
    with graph.connect() as connection:
        nodes = {row.node_id for row in connection.execute(sa.select(graph_nodes.c.node_id))}
    assert f"syncro_ticket_{gone['id']}" not in nodes
    assert f"syncro_ticket_{live_syncro.world['tickets'][0]['id']}" in nodes
