"""SDC's one way to read its settings: environment variables, read when asked, never cached.

Resources read theirs when Dagster builds them for a run or a tick (field defaults), so a changed variable
takes effect on the next run; the definitions' own settings (zone and first partition day, schedules'
crons, sensors' intervals, the graph's run-config defaults) when the code location loads. Secrets go to
resources as ``dg.EnvVar`` (:func:`env_var`), so the UI and the run config show the variable's name, never
its value. A value that does not parse fails with the variable's name.
"""

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg


class SettingError(ValueError):
    """A variable whose value SDC cannot use; the message names it."""


def env(name: str, default: str | None = None) -> str | None:
    """The variable's value; unset or empty gives ``default``."""
    return os.environ.get(name) or default


def env_int(name: str, default: int) -> int:
    return _parsed(name, default, int)


def env_float(name: str, default: float) -> float:
    return _parsed(name, default, float)


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    """A comma-separated list: ``SDC_MSP_DOMAINS=acme-it.nl,acme.eu``."""
    raw = env(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else list(default)


def env_zone(name: str, default: str) -> str:
    """A time zone name (``Europe/Amsterdam``) that exists."""
    value = env(name, default)
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise SettingError(f"{name}={value!r} is not a time zone (e.g. Europe/Amsterdam)") from None
    return value


def env_var(name: str) -> dg.EnvVar | None:
    """``dg.EnvVar(name)`` when the variable is set (the value stays out of config and the UI), else None."""
    return dg.EnvVar(name) if env(name) else None


def _parsed(name: str, default, kind):
    raw = env(name)
    if raw is None:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
