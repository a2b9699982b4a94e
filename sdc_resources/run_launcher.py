"""Dagster's default run launcher, plus the health check its run monitoring needs to find dead runs.

``dagster.yaml`` names this launcher and turns run monitoring on: the daemon (running under
``dagster dev``) asks it every poll interval whether each in-progress run's process still exists, marks
the runs whose process is gone as failed, and frees their pool slots, so a run killed mid-step never
blocks the sensor's or the UI's next runs.
"""

from __future__ import annotations

from dagster import DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

from sdc_resources.run_health import run_worker, worker_alive


class LocalRunLauncher(DefaultRunLauncher):
    """Launches runs like ``DefaultRunLauncher`` and judges their health by their worker's process."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        alive = worker_alive(self._instance, run)
        if alive is False:
            worker = run_worker(self._instance, run)
            return CheckRunHealthResult(WorkerStatus.FAILED, f"the run's process (pid {worker.pid}) is gone")
        # Alive, or not yet judgeable (no pid logged yet): the start timeout covers runs that never start.
        return CheckRunHealthResult(WorkerStatus.RUNNING, "" if alive else "no process recorded yet")
