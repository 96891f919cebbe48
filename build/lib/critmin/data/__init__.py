"""The data layer: table contracts, importers for real releases, the embedded dataset.

Nothing here imports from a higher layer (metrics, demand, sim, cli ...).
"""
