"""CivicID's benchmarks. ``python -m bench`` (``make bench``) runs them all; see docs/benchmarks.md."""
