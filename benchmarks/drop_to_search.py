"""A dropped file, from landing in the inbox to found by ``sdc search``, through a running ``dagster dev``.

In a fresh data folder: ``sdc ingest`` of the demo notes (what ``make demo`` does for them), then
``dagster dev`` (what ``make dev`` starts), then a new notes file with a phrase nothing else holds is
written into the inbox. The clock runs from the file's arrival until ``sdc search`` (a subprocess, as a
user types it) lists it first, polled; the default settle time (30 s) and drop-sensor interval (10 s) apply.
Also reported: the runs the drop caused, the seconds of each, whether the first sensor tick after
``dagster dev`` started requested anything (it should not: ``sdc ingest`` recorded the inbox), and a
single-asset materialization launched as the UI launches it (GraphQL: ``chunks`` for the dropped note's day),
from the request until the run succeeded.

    python benchmarks/drop_to_search.py                 # the code location's executor
    python benchmarks/drop_to_search.py --executor multiprocess
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import requests
from dagster._core.instance.ref import InstanceRef
from dagster_graphql import DagsterGraphQLClient

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PHRASE = "zwaailicht kwartelkoning"  # in no demo record
NOTE = {"id": "bench-1", "type": "note", "title": "Zwaailicht kwartelkoning storing",
        "content": f"De {PHRASE} in de serverruimte knippert sinds vanochtend; UPS gecontroleerd.",
        "created_at": "2025-03-14T10:00:00+01:00", "tags": ["storing"]}  # fmt: skip


FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _wait(condition, timeout: float, what: str, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def _found(env: dict) -> bool:
    result = subprocess.run([str(BIN / "sdc"), "search", PHRASE, "--json", "-k", "1"], cwd=ROOT, env=env,
                            capture_output=True, text=True)  # fmt: skip
    try:
        hits = json.loads(result.stdout)
    except json.JSONDecodeError:
        return False
    return bool(hits) and PHRASE.split()[0] in hits[0]["text"].lower()


def _up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok
    except requests.RequestException:
        return False


def _runs(home: Path) -> list[dict]:
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        return [
            {"job": r.dagster_run.job_name, "status": r.dagster_run.status.value,
             "seconds": round(r.end_time - r.start_time, 1) if r.end_time and r.start_time else None}
            for r in instance.get_run_records()
        ]  # fmt: skip


def measure(executor: str | None, port: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp), Path(tmp) / "data"
        shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
        (home / "dagster.yaml").write_text(
            (home / "dagster.yaml").read_text().replace("base_dir: data/", f"base_dir: {data}/")
        )
        shutil.copytree(ROOT / "data" / "demo" / "notes", data / "inbox" / "notes")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_", "TICKETPORTAAL_"))}
        env |= {"DAGSTER_HOME": str(home), "SDC_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
        if executor:
            env["SDC_EXECUTOR"] = executor
        subprocess.run([str(BIN / "sdc"), "ingest", "--quiet", "--allow-quarantine", "--source", "notes"],
                       cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        before = len(_runs(home))
        dev = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(ROOT / "workspace.yaml")],
            cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(lambda: _up(port), 180, "dagster dev")
            time.sleep(45)  # the drop sensor's first ticks after start (every 10 s, once the daemon is up)
            after_start = len(_runs(home)) - before
            landed = time.monotonic()
            (data / "inbox" / "notes" / "bench_drop.json").write_text(json.dumps([NOTE]))
            _wait(lambda: _found(env), 600, "sdc search to find the dropped note", every=0.5)
            seconds = time.monotonic() - landed
            runs = _runs(home)[: len(_runs(home)) - before - after_start]
            single = _single_asset_run(port)
        finally:
            os.killpg(dev.pid, signal.SIGINT)
            dev.wait(60)
    return {"executor": executor or "default", "drop_to_searchable_s": round(seconds, 1),
            "runs_after_start": after_start, "runs_of_the_drop": runs, "single_asset_run_s": single}  # fmt: skip


def _single_asset_run(port: int) -> float:
    """``chunks`` for one day, launched through GraphQL as the UI's Materialize does, until it succeeded."""
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    started = time.monotonic()
    run_id = client.submit_job_execution(
        "__ASSET_JOB", repository_location_name="sdc", repository_name="__repository__",
        tags={"dagster/partition": NOTE["created_at"][:10]}, asset_selection=["chunks"],
    )  # fmt: skip
    status = _wait(lambda: (s := client.get_run_status(run_id)) in FINISHED and s, 300, "the chunks run", every=0.2)
    if status != dg.DagsterRunStatus.SUCCESS:
        raise SystemExit(f"the chunks run {run_id} ended {status}")
    return round(time.monotonic() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", choices=["in_process", "multiprocess"], help="SDC_EXECUTOR for dagster dev")
    parser.add_argument("--port", type=int, default=3917)
    args = parser.parse_args()
    print(json.dumps(measure(args.executor, args.port), indent=2))


if __name__ == "__main__":
    main()
