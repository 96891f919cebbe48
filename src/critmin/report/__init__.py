"""The brief: critmin's main job, a self-contained HTML report (and PDF) with charts and maps."""
