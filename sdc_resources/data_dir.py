"""Where SDC keeps its files: ``SDC_DATA_DIR``, by default ``./data``."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_path(*parts: str) -> Path:
    """An absolute path under the data folder, read from the environment when the resource is built."""
    return Path(os.environ.get("SDC_DATA_DIR", "data")).absolute().joinpath(*parts)
