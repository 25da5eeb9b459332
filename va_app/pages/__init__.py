"""Console pages. Importing this package registers every page through ``va_app.templates``."""

from va_app.pages import account, api_keys, audit, login, overview, users

__all__ = ["account", "api_keys", "audit", "login", "overview", "users"]
