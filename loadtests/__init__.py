"""Load tests: Locust scenarios and the runner that starts a real server for them."""
