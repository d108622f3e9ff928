"""e-ID accounts: issued at a level, activated later by their holder (DOMAIN.md "Issuing is not activating")."""
