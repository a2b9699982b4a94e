"""Runs never wait on a dead run, and `sdc ingest` stops cleanly: real processes, real signals."""

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import sqlalchemy as sa
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.launcher import WorkerStatus
from dagster._utils.concurrency import ConcurrencySlotStatus

from sdc_resources.run_health import PID_TAG, pool_holders
from sdc_resources.run_launcher import LocalRunLauncher

from .conftest import DEMO, REPO, settle
from .processes import poll_until

SDC = str(Path(sys.executable).parent / "sdc")
DEADLINE = 300  # generous: a loaded 2-core machine imports torch and the model slowly


def _home(path: Path, notes: int = 0) -> Path:
    """A Dagster home with the repository's dagster.yaml, the demo notes and ``notes`` more in the inbox."""
    path.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", path / "dagster.yaml")
    inbox = path / "data" / "inbox" / "notes"
    shutil.copytree(DEMO / "notes", inbox)
    many = [
        {"id": f"bulk-{n}", "title": f"Werkbon {n}", "content": f"Werkplek {n} van afdeling {n % 7} nagelopen.",
         "created_at": f"2025-03-{10 + n % 3:02d}T09:00:00+01:00"}
        for n in range(notes)
    ]  # fmt: skip
    (inbox / "bulk.json").write_text(json.dumps(many))
    for file in inbox.iterdir():
        settle(file)
    return path


def _env(home: Path) -> dict:
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SDC_DATA_DIR": str(home / "data"),
        "HF_HUB_OFFLINE": "1",
        "SDC_SYNCRO_REPLAY_DIR": "",
        "TICKETPORTAAL_SQLITE": "",
        "SDC_EMBED_BACKEND": "torch",
    }


def _ingest(home: Path, stdout=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        [SDC, "ingest", "--quiet", "--allow-quarantine", "--source", "notes"],
        cwd=home, env=_env(home), start_new_session=True, stdout=stdout, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    out, _ = process.communicate(timeout=DEADLINE)
    return process.returncode, out


def _instance(home: Path, monkeypatch) -> dg.DagsterInstance:
    monkeypatch.chdir(home)  # dagster.yaml's storage folders are relative to the working directory
    return dg.DagsterInstance.from_config(str(home))


def _state(home: Path) -> dict:
    """What a run leaves behind, without write times: sessions, chunk tables, Chroma ids, graph rows."""
    from sdc_resources.vector_store import VectorStore

    data = home / "data"
    sessions = {}
    for path in sorted((data / "sessions").rglob("*.json")):
        session = json.loads(path.read_text())
        session["meta"].pop("ingested_at", None)
        sessions[str(path.relative_to(data))] = session
    chunks = {
        p.name: pl.read_parquet(p).drop("session_version").to_dicts() for p in (data / "index" / "chunks").glob("*")
    }
    store = VectorStore(path=str(data / "chroma"), host=None)
    chroma = {name: sorted(store.collection(name).get(include=[])["ids"]) for name in store.existing_collections()}
    engine = sa.create_engine(f"sqlite:///{data / 'graph' / 'graph.sqlite'}")
    with engine.connect() as connection:
        nodes = sorted(connection.execute(sa.text("SELECT node_id, node_type, properties FROM graph_nodes")).all())
        edges = sorted(
            connection.execute(sa.text("SELECT source_id, target_id, edge_type, confidence FROM graph_edges")).all()
        )
    engine.dispose()
    return {"sessions": sessions, "chunks": chunks, "chroma": chroma, "nodes": nodes, "edges": edges}


@pytest.mark.slow
def test_a_run_killed_while_holding_a_pool_slot_never_blocks_the_next(tmp_path, monkeypatch):
    home = _home(tmp_path / "crash", notes=1500)  # enough to embed for seconds while the slot is held
    process = _ingest(home)
    with _instance(home, monkeypatch) as instance:
        held = lambda: any(pool_holders(instance, ["sdc_index"]).values())  # noqa: E731
        try:
            poll_until(held, DEADLINE, "an index step", process, interval=0.05)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        (dead,) = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert pool_holders(instance, ["sdc_index"])["sdc_index"]  # the dead run still holds the slot
        assert isinstance(instance.run_launcher, LocalRunLauncher)  # what the daemon's run monitoring asks
        health = instance.run_launcher.check_run_worker_health(dead)
        assert health.status == WorkerStatus.FAILED, health

        code, out = _finish(_ingest(home))
        assert code == 0, out
        assert f"cleared a dead run: run {dead.run_id}" in out
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not any(pool_holders(instance, ["sdc_index", "sdc_graph"]).values())

    clean = _home(tmp_path / "clean", notes=1500)
    code, out = _finish(_ingest(clean))
    assert code == 0, out
    assert _state(home) == _state(clean)


@pytest.mark.slow
def test_sigterm_stops_an_ingest_that_waits_for_a_pool_slot(tmp_path, monkeypatch):
    home = _home(tmp_path / "home")
    with _instance(home, monkeypatch) as instance:
        holder = dg.DagsterRun(
            job_name="a_live_run",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags={PID_TAG: str(os.getpid())},  # this test's own process: alive, so never reaped
        )
        instance.add_run(holder)
        instance.event_log_storage.set_concurrency_slots("sdc_index", 1)
        claim = instance.event_log_storage.claim_concurrency_slot("sdc_index", holder.run_id, "chunks")
        assert claim.slot_status == ConcurrencySlotStatus.CLAIMED

        output = home / "ingest.out"
        with open(output, "w") as sink:
            process = _ingest(home, stdout=sink)
        try:
            notice = f"waiting for pool sdc_index: held by run {holder.run_id}/chunks"
            poll_until(lambda: notice in output.read_text(), DEADLINE, "the notice that the run waits", process)
            poll_until(lambda: _pending(instance, "sdc_index"), DEADLINE, "the step to queue for the slot", process)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 130
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        assert "sdc ingest: stopped" in output.read_text()
        runs = instance.get_runs(filters=dg.RunsFilter(tags={PID_TAG: str(process.pid)}))
        assert runs
        assert all(run.is_finished for run in runs)
        info = instance.event_log_storage.get_concurrency_info("sdc_index")
        assert {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps} == {
            holder.run_id
        }  # nothing of the stopped command is left claimed or queued


def _pending(instance: dg.DagsterInstance, pool: str) -> bool:
    info = instance.event_log_storage.get_concurrency_info(pool)
    return any(step.run_id != slot.run_id for step in info.pending_steps for slot in info.claimed_slots)


def test_a_step_waiting_for_a_pool_sleeps_until_its_next_claim_check(tmp_path, monkeypatch):
    import sdc_assets.definitions  # noqa: F401  (the code location applies the fix)

    home = _home(tmp_path / "home")
    with _instance(home, monkeypatch) as instance:
        instance.event_log_storage.set_concurrency_slots("sdc_index", 1)
        holder = dg.DagsterRun(job_name="holder", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
        waiter = dg.DagsterRun(job_name="waiter", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
        for run in (holder, waiter):
            instance.add_run(run)
        instance.event_log_storage.claim_concurrency_slot("sdc_index", holder.run_id, "chunks")
        with InstanceConcurrencyContext(instance, waiter) as context:
            assert not context.claim("sdc_index", "chunks")
            assert context.interval_to_next_pending_claim_check() > 0  # Dagster 1.13 alone: 0, a busy loop
