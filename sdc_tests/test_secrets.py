"""Secrets never leave the process: servers that echo the request's headers in their 401 and 500 answers,
and the canary keys searched for in every file under the data folder and DAGSTER_HOME and in the output."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sdc_assets.syncro.assets import syncro_assets
from sdc_resources.syncro import Syncro

from .conftest import DEMO, REPO, settle
from .echo_server import serve_echo

SYNCRO_KEY = "canary-syncro-5f1e9a77c2"
LLM_KEY = "canary-llm-0b3d8e4471"


@pytest.fixture
def echo_401():
    server = serve_echo(401)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _leaks(folder: Path, *texts: str) -> list[str]:
    """Every file under ``folder`` holding one of ``texts``, however it is stored."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {t}" for t in texts if t.encode() in data or t.encode("utf-16-le") in data]
    return found


@pytest.mark.slow
def test_echoed_keys_appear_nowhere(tmp_path, echo_401):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    shutil.copytree(DEMO / "notes", tmp_path / "data" / "inbox" / "notes")
    for path in (tmp_path / "data" / "inbox" / "notes").iterdir():
        settle(path)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "SDC_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "SDC_SYNCRO_REPLAY_DIR": "",
        "TICKETPORTAAL_SQLITE": "",
        "SYNCRO_API_KEY": SYNCRO_KEY,
        "SDC_SYNCRO_BASE_URL": f"{echo_401}/api/v1",
        "SDC_LLM_PROVIDER": "openai",
        "SDC_LLM_BASE_URL": f"{echo_401}/v1",
        "SDC_LLM_API_KEY": LLM_KEY,
    }
    sdc = str(Path(sys.executable).parent / "sdc")
    done = subprocess.run(
        [sdc, "ingest", "--source", "notes", "--source", "syncro", "--verbose"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    assert "syncro: FAILED" in done.stdout
    assert "HTTP 401" in done.stdout
    assert "check SYNCRO_API_KEY" in done.stdout
    analysis = list((tmp_path / "data" / "quarantine" / "enrichment").glob("analysis-*.jsonl"))
    assert analysis
    assert "[redacted]" in analysis[0].read_text()  # the LLM's echo was kept, without the key
    assert not _leaks(tmp_path, SYNCRO_KEY, LLM_KEY)
    for stream in (done.stdout, done.stderr):
        assert SYNCRO_KEY not in stream
        assert LLM_KEY not in stream


def test_an_echoing_500_after_retries_leaves_no_key_in_events_logs_or_files(tmp_path, monkeypatch, capfd):
    server = serve_echo(500)
    try:
        monkeypatch.chdir(tmp_path)
        shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
        syncro = Syncro(
            base_url=f"http://127.0.0.1:{server.server_port}/api/v1",
            api_key=SYNCRO_KEY,
            raw_dir=str(tmp_path / "data" / "raw" / "syncro"),
            cache_dir=str(tmp_path / "data" / "cache"),
            quarantine_dir=str(tmp_path / "data" / "quarantine" / "syncro"),
            retries=1,
            backoff_factor=0,
        )
        customers = [a for a in syncro_assets if not a.partitions_def]
        with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
            result = dg.materialize(customers, instance=instance, resources={"syncro": syncro}, raise_on_error=False)
        assert not result.success
        failures = [e for e in result.all_events if e.is_step_failure]
        assert failures
        assert "HTTP 500" in str(failures[0].step_failure_data.error.cause.message)
    finally:
        server.shutdown()
        server.server_close()
    out, err = capfd.readouterr()
    assert SYNCRO_KEY not in out + err
    assert not _leaks(tmp_path, SYNCRO_KEY)
