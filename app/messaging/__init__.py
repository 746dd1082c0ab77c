"""Kafka: topics, command envelopes, the outbox relay."""
