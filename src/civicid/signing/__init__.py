"""Digital signatures: the certificate authority, citizens' signing keys and certificates, PDF signing (PAdES)."""
