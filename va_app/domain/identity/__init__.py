"""Identity: tenants, users, roles, API keys, sessions, rate limits."""
