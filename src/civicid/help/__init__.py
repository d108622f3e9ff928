"""Help that can be heard: plain-language guides for each step, printable, and spoken offline (espeak-ng)."""
