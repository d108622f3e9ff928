"""Digital signatures: the certificate authority, citizens' signing keys and certificates, PDF signing (PAdES)."""

import warnings

# pyHanko imports cryptography's DSA classes when it loads; CivicID signs with ECDSA only (decision 0047).
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko\.")
