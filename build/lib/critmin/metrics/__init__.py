"""The metrics layer: pure functions over dataset tables (shares, concentration, overviews)."""
