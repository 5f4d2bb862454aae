"""Lineage layer: dataset naming, author policy, and builders from engine results to facets."""
