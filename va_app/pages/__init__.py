"""Console pages. Importing this package registers every page through ``va_app.templates``."""

from va_app.pages import overview

__all__ = ["overview"]
