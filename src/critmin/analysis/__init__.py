"""The use-case layer: one function per question a user asks.

Supply table, mineral profile, risk, run a scenario, evaluate a plan, optimise, exposure:
each returns frames, arrays or models, never text. The CLI, the web service and the brief
call these functions and only format what they return. This layer sits above ``store`` and
below ``report`` (see ``[tool.importlinter]`` in ``pyproject.toml``).
"""
