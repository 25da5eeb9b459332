"""Agents: definitions, immutable versions, deployments and rollouts."""
