"""SDC's Dagster code location: assets, sensors and partitions, one module per layer."""
