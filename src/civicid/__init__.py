"""CivicID: an electronic-identity platform for door-to-door level-2 enrollment campaigns."""

__version__ = "0.1.0"
