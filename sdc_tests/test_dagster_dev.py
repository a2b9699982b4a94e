"""The real UI: `dagster dev` on a free loopback port, asked through GraphQL."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import requests

from sdc_resources.run_health import PID_TAG
from sdc_resources.vector_store import VectorStore

from .conftest import DEMO, REPO
from .processes import answers, free_port, poll_until

ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName isPartitioned partitionDefinition { type } } }"
SENSORS_QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
  sensors { name sensorState { status } } } } } }"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A Dagster home with the demo notes already settled in the inbox."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    shutil.copytree(DEMO / "notes", home / "data" / "inbox" / "notes")
    for path in (home / "data" / "inbox" / "notes").iterdir():
        os.utime(path, (time.time() - 600, time.time() - 600))
    return home


@pytest.fixture(scope="module")
def dagster_dev(home: Path):
    tmp_path = home
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "SDC_DATA_DIR": str(tmp_path / "data"),
        "SDC_SYNCRO_REPLAY_DIR": "",
        "TICKETPORTAAL_SQLITE": "",
    }
    dagster = Path(sys.executable).parent / "dagster"
    process = subprocess.Popen(
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(REPO / "workspace.yaml")],
        cwd=tmp_path, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        poll_until(lambda: answers(f"http://127.0.0.1:{port}/server_info"), 120, "the webserver", process)
        yield f"http://127.0.0.1:{port}/graphql", process
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _query(url: str, query: str, **variables) -> dict:
    response = requests.post(url, json={"query": query, "variables": variables}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.slow
def test_ui_lists_every_asset_daily_partitioned_and_the_running_sensor(dagster_dev):
    url, _ = dagster_dev
    nodes = _query(url, ASSETS_QUERY)["assetNodes"]
    by_name = {n["assetKey"]["path"][-1]: n for n in nodes}
    for source in ("screenconnect", "sillytavern", "notes"):
        assert by_name[f"{source}_raw"]["groupName"] == "sources"
        assert by_name[f"{source}_sessions"]["groupName"] == "sessions"
        for kind in ("raw", "sessions"):
            node = by_name[f"{source}_{kind}"]
            assert node["isPartitioned"]
            assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
    for name in ("graph_nodes", "graph_edges"):
        assert by_name[name]["groupName"] == "graph"
        assert by_name[name]["isPartitioned"]
    (repo,) = _query(url, SENSORS_QUERY)["repositoriesOrError"]["nodes"]
    assert repo["location"]["name"] == "sdc"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert sensors == {
        "drop_folder_sensor": "RUNNING",
        "syncro_update_sensor": "RUNNING",
        "ticketportaal_update_sensor": "RUNNING",
        "relink_sensor": "RUNNING",
    }


MATERIALIZED_QUERY = """query($name: String!) { assetNodeOrError(assetKey: {path: [$name]}) {
  ... on AssetNode { partitionStats { numMaterialized } } } }"""


@pytest.mark.slow
def test_dropped_files_become_sessions_through_the_running_sensor(dagster_dev, home, monkeypatch):
    url, process = dagster_dev

    def materialized_days(name: str) -> bool:  # one run over the span: the six days with notes and the 11th
        return _query(url, MATERIALIZED_QUERY, name=name)["assetNodeOrError"]["partitionStats"]["numMaterialized"] == 7

    poll_until(lambda: materialized_days("notes_sessions"), 180, "the sensor's run of the notes' days", process)
    assert len(list((home / "data" / "sessions" / "notes").rglob("*.json"))) == 8
    poll_until(lambda: materialized_days("chroma_collections"), 180, "the same days in Chroma", process)
    chunks = pl.read_parquet(list((home / "data" / "index" / "chunks").glob("*.parquet")))
    sessions = VectorStore(path=str(home / "data" / "chroma"), host=None).collection("sessions")
    assert sessions.count() == chunks.height > 0
    monkeypatch.chdir(home)  # dagster.yaml's storage folders are relative to the working directory
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert {run.job_name for run in instance.get_runs()} == {"inbox_to_graph"}  # one run, named in the UI


@pytest.mark.slow
def test_the_daemon_fails_a_dead_run_and_frees_its_pool_slot(dagster_dev, home, monkeypatch):
    _, process = dagster_dev
    monkeypatch.chdir(home)  # dagster.yaml's storage folders are relative to the working directory
    gone = subprocess.Popen(["true"])
    gone.wait()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        dead = dg.DagsterRun(
            job_name="killed_run",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags={PID_TAG: str(gone.pid)},  # a process that no longer exists
        )
        instance.add_run(dead)
        instance.event_log_storage.claim_concurrency_slot("sdc_graph", dead.run_id, "knowledge_graph")
        instance.event_log_storage.claim_concurrency_slot("sdc_graph", dead.run_id, "knowledge_graph")

        def freed() -> bool:
            run = instance.get_run_by_id(dead.run_id)
            info = instance.event_log_storage.get_concurrency_info("sdc_graph")
            return run.status == dg.DagsterRunStatus.FAILURE and dead.run_id not in {
                s.run_id for s in [*info.claimed_slots, *info.pending_steps]
            }

        poll_until(freed, 180, "run monitoring to fail the dead run and free its slot", process)
