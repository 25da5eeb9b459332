"""Notifications out of the platform: e-mail (SMTP), alert notifiers (Slack, e-mail) and the
hub delivery of scheduled reports (e-mail attachment, signed webhook)."""
