"""Adapters from deep-learning frameworks to netchaos models (importing no framework)."""
