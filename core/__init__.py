"""Settings and backend clients. Imports nothing else of ours, no UI, no web framework."""
