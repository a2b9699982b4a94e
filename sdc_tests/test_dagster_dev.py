"""The real UI: `dagster dev` on a free loopback port, asked through GraphQL."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import REPO

ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName isPartitioned partitionDefinition { type } } }"
SENSORS_QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
  sensors { name sensorState { status } } } } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, deadline: float, process: subprocess.Popen) -> None:
    """Poll ``url`` until it answers; between polls, wait on the process so an early exit fails fast."""
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        try:
            code = process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"dagster dev exited with {code}")
    raise AssertionError(f"{url} did not answer in time")


@pytest.fixture
def dagster_dev(tmp_path: Path):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "SDC_DATA_DIR": str(tmp_path / "data")}
    dagster = Path(sys.executable).parent / "dagster"
    process = subprocess.Popen(
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(REPO / "workspace.yaml")],
        cwd=tmp_path, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/server_info", time.monotonic() + 120, process)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _query(url: str, query: str) -> dict:
    response = requests.post(url, json={"query": query}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.slow
def test_ui_lists_every_asset_daily_partitioned_and_the_running_sensor(dagster_dev):
    nodes = _query(dagster_dev, ASSETS_QUERY)["assetNodes"]
    by_name = {n["assetKey"]["path"][-1]: n for n in nodes}
    for source in ("screenconnect", "sillytavern", "notes"):
        assert by_name[f"{source}_raw"]["groupName"] == "sources"
        assert by_name[f"{source}_sessions"]["groupName"] == "sessions"
        for kind in ("raw", "sessions"):
            node = by_name[f"{source}_{kind}"]
            assert node["isPartitioned"] and node["partitionDefinition"]["type"] == "TIME_WINDOW"
    (repo,) = _query(dagster_dev, SENSORS_QUERY)["repositoriesOrError"]["nodes"]
    assert repo["location"]["name"] == "sdc"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert sensors == {"drop_folder_sensor": "RUNNING"}
