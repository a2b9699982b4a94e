"""Where SDC keeps its files: ``SDC_DATA_DIR``, by default ``./data``."""

from __future__ import annotations

from pathlib import Path

from sdc_resources.settings import env


def default_data_path(*parts: str) -> Path:
    """An absolute path under the data folder, read from the environment when the resource is built."""
    return Path(env("SDC_DATA_DIR", "data")).absolute().joinpath(*parts)
