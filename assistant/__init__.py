"""Carrefour: assistant documentaire en français (recherche hybride, réponses citées)."""

__version__ = "0.1.0"
