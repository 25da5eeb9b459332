"""Console building blocks: plain functions that return ``rx.Component``."""
