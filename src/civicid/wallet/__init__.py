"""The document wallet: documents integrated by reference, confirmed by their owning agencies (DOMAIN.md)."""
