"""Operator tasks that span stores: backup and restore (``va backup``)."""
