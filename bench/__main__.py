"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from bench import registry_search

registry_search.main([])
