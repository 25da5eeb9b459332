"""The conversation runtime: chat turns from the API to the LLM router and back, with guardrails,
caches, context and one analytics event per turn."""
