"""Benchmarks against a local stack each one starts itself (`make bench`)."""
