"""The product's behaviour (domain services) and its two faces: the REST API and the Reflex console."""
