"""The simulation layer: disruption scenarios (and, next, the market engine and runners)."""
