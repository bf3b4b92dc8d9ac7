"""One module per command; each exposes ``register(app)`` and keeps imports lazy."""
