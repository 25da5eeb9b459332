"""LLM orchestration: model catalog, routing policies, providers, fallbacks, budgets."""
