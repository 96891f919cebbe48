"""Responsible sourcing: supplier smelter reports, exposure and chain of custody."""
