"""Adapters to the outside world: the bank core (port + simulator) and the SMS gateway
(port + HTTP + dev outbox). `faults` is the shared fault injector of the simulated ones."""
