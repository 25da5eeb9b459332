"""Wire schemas of the web chat widget's public endpoint."""

from __future__ import annotations

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Strict
from va_app.domain.integrations.widget import WidgetReply


class WidgetMessage(Strict):
    message: str = Field(min_length=1, max_length=4000)
    session_id: str = Field(min_length=8, max_length=200, description="random per browser, kept by the script")


@dataclass(frozen=True)
class WidgetReplyPublic(WidgetReply):
    pass
