"""Platform health: which backends are up, their versions, and headline counts."""
