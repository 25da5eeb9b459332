"""FastAPI app mounted into the Reflex app: routers per resource, deps, wire schemas, errors."""
