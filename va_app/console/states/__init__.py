"""Reflex states of the console: one substate per page, talking only to domain services."""
