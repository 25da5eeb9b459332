"""Integration hub: connectors (channels in, CRM/helpdesk actions out), signed inbound
webhooks processed from the bus, and signed outbound webhooks with retries.

No FastAPI and no Reflex here: ``va_app.api.routes.integrations`` / ``webhooks`` map these
services to HTTP, so the console can call the same functions.
"""
