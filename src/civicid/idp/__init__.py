"""The OpenID Connect provider: public services log citizens in with their e-ID (issue 15, decision 0044)."""
