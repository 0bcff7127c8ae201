"""Helpers for the Transfer Learning, Hands-On course: assets, models, widgets, plots, checks.

They hide plumbing only; the machine-learning steps stay in the notebooks.
"""

__version__ = "0.1.0"
