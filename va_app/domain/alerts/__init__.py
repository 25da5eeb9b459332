"""Alerting: threshold, anomaly and deployment rules per tenant; alerts that fire, get
acknowledged and resolve (by themselves when the condition clears); notifications through
the event bus and registered notifiers. No FastAPI or Reflex in here."""
