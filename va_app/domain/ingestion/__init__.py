"""Accepting events from producers and putting them on the bus."""
