"""Local fakes of the providers the integration hub talks to (real HTTP on loopback).

``server.FakeProviders`` serves Slack, WhatsApp Cloud API, Twilio, Teams, Salesforce, HubSpot,
Zendesk, a generic REST endpoint and outbound-webhook receivers; ``senders`` builds inbound
webhooks the way each provider signs them, implemented independently of the hub's code so a
test catches a scheme we got wrong.
"""
