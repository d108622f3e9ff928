"""The agencies that own the documents a citizen integrates into the e-ID: the port, and the simulated agencies."""
