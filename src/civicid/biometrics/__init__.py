"""Biometrics: templates, 1:1 verification, 1:N identification and the dedup decision (DESIGN.md decision 6).

Three ports (``ports.py``) keep the matcher pluggable: an :class:`~civicid.biometrics.ports.Extractor` turns a
capture into a :class:`~civicid.biometrics.ports.Template`, a :class:`~civicid.biometrics.ports.Verifier` scores
two templates, and a :class:`~civicid.biometrics.ports.Gallery` answers MOSIP-ABIS-shaped 1:N searches. The
default gallery is exact (``gallery.ExactGallery``); an approximate one must pass a recall check first.
Fingerprints are compared 1:1 at adjudication only, as minutiae (``fingerprint.py``, with the optional NBIS
matcher of ``nbis_finger.py``).
"""
