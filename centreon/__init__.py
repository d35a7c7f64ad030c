"""centreon-lake: Centreon monitoring snapshots landed as Parquet in a data lake."""

from __future__ import annotations

__version__ = "0.1.0"
