"""Runs whose process is gone: found, marked failed, and their pool slots freed.

Every run worker logs the pid it executes in (Dagster's "Executing steps in process (pid: N)" and
"Started process for run (pid: N)" engine events; ``sdc ingest`` also tags its runs with ``sdc/pid``).
A run that is still "in progress" while that process no longer exists (killed, out of memory, machine
restarted) would hold its pool slots and its place in the run queue forever; :func:`reap_dead_runs`
marks it failed and frees them. The daemon's run monitoring does the same through
:class:`sdc_resources.run_launcher.LocalRunLauncher`.

Run workers are local processes (the default run launcher): a pid is read on this machine, and a run
tagged with another ``sdc/host`` is never judged.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.dagster_run import FINISHED_STATUSES, IN_PROGRESS_RUN_STATUSES, RunsFilter

PID_TAG = "sdc/pid"
HOST_TAG = "sdc/host"
START_SLACK_SECONDS = 5.0  # a process started this long after the run logged its pid is another process


@dataclass(frozen=True)
class Worker:
    """The process a run executes in, and when the run said so."""

    pid: int
    since: float


def own_run_tags() -> dict[str, str]:
    """Tags that let anyone judge a run this process executes in-process."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def run_worker(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Worker | None:
    """The process executing ``run``: the newest run-level engine event naming a pid, else the ``sdc/pid`` tag."""
    records = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ENGINE_EVENT, ascending=False, limit=50
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.engine_event_data if event else None
        if event is None or event.step_key or data is None or "pid" not in data.metadata:
            continue
        return Worker(int(data.metadata["pid"].value), record.event_log_entry.timestamp)
    if PID_TAG in run.tags:
        stats = instance.get_run_record_by_id(run.run_id)
        return Worker(int(run.tags[PID_TAG]), stats.create_timestamp.timestamp() if stats else 0.0)
    return None


def _boot_time() -> float | None:
    try:
        with open("/proc/stat") as handle:
            return next(float(line.split()[1]) for line in handle if line.startswith("btime"))
    except (OSError, StopIteration, ValueError):
        return None


def process_alive(pid: int, since: float) -> bool:
    """Whether process ``pid`` exists, is not a zombie, and is the one that was there at ``since``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True  # no /proc (not Linux): existence is all we can know
    if fields[0] in ("Z", "X"):
        return False
    boot = _boot_time()
    if boot is None:
        return True
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return started <= since + START_SLACK_SECONDS


def worker_alive(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool | None:
    """True or False when the run's process can be judged from here; None when it cannot (yet)."""
    if run.tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
        return None
    worker = run_worker(instance, run)
    if worker is None:
        return None
    return process_alive(worker.pid, worker.since)


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every in-progress run whose process is gone as failed and free the pool slots of finished runs.

    Returns a line per run dealt with, for the caller to log."""
    lines = []
    in_progress = instance.get_runs(
        filters=RunsFilter(statuses=[*IN_PROGRESS_RUN_STATUSES, dg.DagsterRunStatus.CANCELING])
    )
    for run in in_progress:
        if worker_alive(instance, run) is False:
            worker = run_worker(instance, run)
            message = f"Marked failed by SDC: the process of this run (pid {worker.pid if worker else '?'}) is gone."
            instance.report_run_failed(run, message)
            lines.append(f"run {run.run_id} ({run.job_name}): {message}")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.status in FINISHED_STATUSES:
                storage.free_concurrency_slots_for_run(run_id)
                lines.append(f"run {run_id}: pool slots freed (the run has ended)")
    return lines


def pool_holders(instance: dg.DagsterInstance, pools: list[str]) -> dict[str, list[str]]:
    """Per pool, the steps (``run id/step``) holding its slots or assigned one: what a blocked step waits for."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    known = storage.get_concurrency_keys()
    holders = {}
    for pool in (p for p in pools if p in known):
        info = storage.get_concurrency_info(pool)
        steps = [(s.run_id, s.step_key) for s in info.claimed_slots]
        steps += [(s.run_id, s.step_key) for s in info.pending_steps if s.assigned_timestamp is not None]
        holders[pool] = [f"{run_id}/{step}" for run_id, step in dict.fromkeys(steps)]
    return holders
