"""Vietnam's country profile: ID numbers, card QR, MRZ, administrative units, names and ages.

Pure functions over the formats of DOMAIN.md "Formats" (sources in research/vneid.md §3). Nothing here
touches a database or the network (``age`` builds its rule as a SQL expression, for a database that
works ages out itself, but runs none); the simulator and the registry build on it.
"""
