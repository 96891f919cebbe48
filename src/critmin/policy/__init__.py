"""Policy levers, plans and the portfolio optimiser."""
