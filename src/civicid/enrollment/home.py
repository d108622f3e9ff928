"""The home page's glance at the commune: its name and key figures (``web.pages.HomeGlance``).

The web toolkit may not import the registry, the pipeline or the accounts; the app factory plugs
:func:`commune_glance` in (``app.state.home_glance``). It sits in the enrollment layer, which may read
all three.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.accounts.queries import activated_in_commune
from civicid.enrollment.queries import awaiting_approval, issued_in_commune
from civicid.registry import queries as registry
from civicid.registry import service as registry_service
from civicid.web.pages import Glance


def commune_glance(*, session: Session, commune_code: str) -> Glance | None:
    """The commune's name and province, villages, residents, applications awaiting approval,
    accounts issued and activated; None for a commune the registry does not serve."""
    place = registry.commune(session, commune_code)
    if place is None:
        return None
    villages = registry_service.list_villages(session=session, commune_code=commune_code)
    figures = [
        ("home.figure.villages", len(villages)),
        ("home.figure.persons", sum(v.persons for v in villages)),
        ("home.figure.awaiting", len(awaiting_approval(session, commune_code))),
        ("home.figure.issued", issued_in_commune(session, commune_code)),
        ("home.figure.activated", activated_in_commune(session, commune_code)),
    ]
    return Glance(commune_name=place.name, province_name=place.province_name, figures=figures)
