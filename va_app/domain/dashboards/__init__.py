"""Dashboards: the analytics query layer shaped into panels for the API and the console."""
