"""E-mail over SMTP, for alert notifications and scheduled reports.

``EMAIL__SMTP_HOST``/``EMAIL__SMTP_PORT``/``EMAIL__FROM``; e-mail is off while the host is
unset. Port 465 = implicit TLS, otherwise STARTTLS when the server offers it.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from core.config import get_settings
from va_app.domain.integrations.notifications_connector import MAX_RECIPIENTS


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


def _send_sync(message: EmailMessage) -> None:
    cfg = get_settings().email
    host = cfg.smtp_host or ""
    if cfg.smtp_port == 465:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, cfg.smtp_port, timeout=cfg.timeout_s, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, cfg.smtp_port, timeout=cfg.timeout_s)
    with client:
        client.ehlo()
        if cfg.starttls and cfg.smtp_port != 465 and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if cfg.smtp_username:
            password = cfg.smtp_password.get_secret_value() if cfg.smtp_password else ""
            client.login(cfg.smtp_username, password)
        client.send_message(message)


async def send_email(to: list[str], subject: str, text: str, attachments: tuple[Attachment, ...] = ()) -> bool:
    """Send one message to ``to`` (deduplicated); False when e-mail is off or nobody is addressed."""
    cfg = get_settings().email
    recipients = sorted({a.lower(): a for a in to}.values())[:MAX_RECIPIENTS]
    if not cfg.enabled or not recipients:
        return False
    message = EmailMessage()
    message["From"] = cfg.from_address
    message["To"] = ", ".join(recipients)
    message["Subject"] = " ".join(subject.split())[:250]  # one line: no header injection
    message["Message-ID"] = make_msgid(domain="virtualagent.local")
    message.set_content(text)
    for item in attachments:
        maintype, _, subtype = item.mime.partition("/")
        sub = subtype or "octet-stream"
        message.add_attachment(item.content, maintype=maintype, subtype=sub, filename=item.filename)
    await asyncio.to_thread(_send_sync, message)
    return True
