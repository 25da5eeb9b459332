"""Queries, one module per aggregate. Every function is keyword-only and tenant-scoped,
except the platform-wide counters in ``platform`` that only a superadmin view uses."""
