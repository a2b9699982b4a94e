"""Runs that ``sdc ingest`` starts in its own process: never behind a dead run, stoppable, failures in a line.

Before each run, runs whose process is gone are marked failed and their pool slots freed (the daemon does
the same for sensor and UI runs); a run that must wait for a pool held by a live run says so. SIGINT and
SIGTERM stop the command promptly, also while a run waits for a pool slot, and leave nothing claimed.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._utils.interrupts import check_captured_interrupt

from sdc_assets.partitions import partition_range_tags
from sdc_resources.redact import redact
from sdc_resources.run_health import PID_TAG, own_run_tags, pool_holders, reap_dead_runs

log = logging.getLogger("sdc")
# The command reports every failure itself, in a line; Dagster's own console lines (stack traces) only with --verbose.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
VERBOSE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
INTERRUPTED = {"DagsterExecutionInterruptedError", "KeyboardInterrupt"}
WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}
STOP_GRACE_SECONDS = 2.0  # a stop request Dagster has not acted on after this is delivered to the main thread


class Interrupted(KeyboardInterrupt):
    """The user asked ``sdc ingest`` to stop (SIGINT or SIGTERM); like KeyboardInterrupt, no handler of
    ordinary exceptions stops it on its way out."""


@dataclass
class RunOutcome:
    """What one run did: whether it succeeded, and a line per failure."""

    ok: bool
    run_id: str | None = None
    failures: list[str] = field(default_factory=list)


def _error_line(error) -> tuple[str, str]:
    """The user's own exception inside Dagster's wrappers: its class name and the first line of its message."""
    while error.cause is not None and error.cls_name in WRAPPERS:
        error = error.cause
    message = error.message.strip().splitlines()[0] if error.message.strip() else ""
    prefix = f"{error.cls_name}: "
    message = message.split(prefix, 1)[1] if prefix in message else message
    return error.cls_name or "Error", message


def failure_lines(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str], bool]:
    """One line per failed step (or for the run), the full tracebacks for the log, and whether it was a stop."""
    steps: dict[str, list[str]] = {}  # one line per distinct error, naming every step it failed
    traces, interrupted = [], False
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data:
            error = event.step_failure_data.error
            if error is None:
                continue
            name, message = _error_line(error)
            interrupted |= name in INTERRUPTED
            steps.setdefault(redact(f"{name}: {message}"), []).append(event.step_key)
            traces.append(redact(f"{event.step_key}:\n{error.to_string()}"))
        elif event.event_type == DagsterEventType.RUN_FAILURE:
            data = event.job_failure_data
            if data and data.error:
                interrupted |= data.error.cls_name in INTERRUPTED
                traces.append(redact(data.error.to_string()))
            if not steps:
                steps[redact(event.message or "the run failed")] = []
    lines = [f"{', '.join(keys)}: {error}" if keys else error for error, keys in steps.items()]
    return lines, traces, interrupted


def failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    """A line per ERROR check that failed in the run (a WARN check, e.g. quarantined records, is reported
    elsewhere)."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            key = evaluation.asset_check_key
            details = {k: v.value for k, v in evaluation.metadata.items()}
            lines.append(redact(f"check {key.asset_key.to_user_string()}:{key.name} failed: {details}")[:300])
    return lines


class Runner:
    """Starts the CLI's runs in this process, in the given instance, with SDC's resources."""

    def __init__(
        self, instance: dg.DagsterInstance, resources: dict, say: Callable[[str], object] = print, verbose: bool = False
    ):
        self.instance = instance
        self.resources = resources
        self.say = say
        self.run_config = VERBOSE if verbose else QUIET

    def clear_dead_runs(self) -> None:
        for line in reap_dead_runs(self.instance):
            self.say(f"  cleared a dead run: {line}")

    def materialize(
        self, assets: list, first: str | None = None, last: str | None = None, ops: dict | None = None,
        job: str = "ingest",
    ) -> RunOutcome:  # fmt: skip
        """Materialize ``assets`` in a run of the job ``job`` (as the UI lists it), for the days ``first``..``last``
        when given, with run config ``ops`` for their steps; never raises but to stop."""
        self.clear_dead_runs()
        pools = sorted({a.op.pool for a in assets if a.op.pool})
        for pool, holders in pool_holders(self.instance, pools).items():
            if holders:
                self.say(f"  waiting for pool {pool}: held by run {', '.join(holders)} (still running)")
        tags = {**own_run_tags(), **(partition_range_tags(first, last) if first and last else {})}
        try:
            definitions = dg.Definitions(jobs=[dg.define_asset_job(job)], assets=assets, resources=self.resources)
            result = definitions.resolve_job_def(job).execute_in_process(
                run_config={**self.run_config, **({"ops": ops} if ops else {})},
                instance=self.instance,
                tags=tags,
                raise_on_error=False,
            )
        except Exception as exc:  # a definition or instance problem before the run could start
            log.exception("a run could not start")
            first_line = (str(exc).strip().splitlines() or [""])[0]
            return RunOutcome(False, None, [redact(f"{type(exc).__name__}: {first_line}")])
        if result.success:
            failed = failed_checks(result)
            return RunOutcome(not failed, result.run_id, failed)
        lines, traces, interrupted = failure_lines(result)
        for trace in traces:
            log.error("run %s failed:\n%s", result.run_id, trace)
        if interrupted:
            raise Interrupted(f"run {result.run_id} was stopped")
        return RunOutcome(False, result.run_id, lines)

    def fail_own_runs(self, reason: str) -> None:
        """Mark this process's unfinished runs failed and free their slots (after a stop)."""
        own = str(own_run_tags()[PID_TAG])
        for run in self.instance.get_runs(filters=dg.RunsFilter(tags={PID_TAG: own})):
            if not run.is_finished:
                self.instance.report_run_failed(run, reason)
        reap_dead_runs(self.instance)


class StopOnSignal:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the main thread, even inside a run that waits.

    Dagster's in-process executor only notes a signal while it waits for a pool slot; a watchdog thread
    hands a stop request it has not acted on within ``STOP_GRACE_SECONDS`` to the main thread, where
    Dagster's own cleanup marks the run and frees its pending claims."""

    def __init__(self):
        self._stop = threading.Event()
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignal:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._raise)
        threading.Thread(target=self._watch, name="sdc-stop-watchdog", daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    @staticmethod
    def _raise(signum, _frame) -> None:
        raise Interrupted(signal.Signals(signum).name)

    def _watch(self) -> None:
        pending_since = None
        main = threading.main_thread().ident
        while not self._stop.wait(0.2):
            if not check_captured_interrupt():
                pending_since = None
                continue
            pending_since = pending_since or time.monotonic()
            if time.monotonic() - pending_since >= STOP_GRACE_SECONDS:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(main), ctypes.py_object(KeyboardInterrupt))
                pending_since = None
