"""Wire schemas of ``/conversations`` (the conversation explorer)."""

from __future__ import annotations

from typing import Any

from va_app.api.schemas.common import Listing


class ConversationsPublic(Listing[dict[str, Any]]):
    pass
