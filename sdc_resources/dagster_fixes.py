"""A fix for Dagster's in-process executor, applied wherever SDC's code runs.

While a step waits for a pool slot (``sdc_index``, ``sdc_graph``), Dagster 1.13's in-process executor
asks how long to sleep before the next claim check and gets ``min(0, ...)``, never more than 0: the run
spins at 100 % of a core for as long as it waits (measured: a waiting ``sdc ingest`` used one whole
core of this 2-core machine). The intended interval is the time until the earliest pending claim may
be checked again, which is what this sets. Claims themselves are unchanged.
"""

from __future__ import annotations

import time

from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext


def _interval_to_next_pending_claim_check(self: InstanceConcurrencyContext) -> float:
    """Seconds until the earliest pending claim is due for another check (0 when one is due now)."""
    if not self._pending_claims or not self._pending_timeouts:
        return 0.0
    return max(0.0, min(self._pending_timeouts.values()) - time.time())


InstanceConcurrencyContext.interval_to_next_pending_claim_check = _interval_to_next_pending_claim_check
