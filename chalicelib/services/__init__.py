"""Use cases: each takes its adapters as arguments, so unit tests pass fakes."""
