"""Scenario event types, one module each, and their registry (:mod:`critmin.sim.events.registry`).

Each module holds one event type's pydantic schema, its compile step (the deterministic
effects it has on the market inputs) and its draw steps (its uncertain quantities and, for
stochastic events, its timing); :data:`~critmin.sim.events.registry.SPECS` lists them.
"""
