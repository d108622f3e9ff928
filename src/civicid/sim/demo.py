"""The demo deployment: the story's commune, loaded once, and a staff login for each role.

``civicid demo`` must work on a bare machine in one command (DESIGN.md): it fills an empty registry
with the synthetic commune of :mod:`civicid.sim.population` and opens demo staff accounts whose
passwords are printed. A data folder that already holds a registry is reused as it is, so the demo
can be stopped and started again without losing what was done in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry import service
from civicid.registry.bulk import load_population
from civicid.sim.agencies import fill_agencies
from civicid.sim.population import DEFAULT_COMMUNE_CODE, DEFAULT_PEOPLE, generate_commune
from civicid.web.staff import StaffRole
from civicid.web.staff_service import create_staff, list_staff

DEFAULT_SEED = 2025


@dataclass(frozen=True)
class DemoLogin:
    """A demo staff account. The passwords are public: a demo holds only synthetic data."""

    username: str
    password: str
    role: StaffRole
    #: Administrators serve every commune; the others serve the demo commune.
    scoped: bool = True


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "demo-admin-2025", StaffRole.ADMIN, scoped=False),
    DemoLogin("supervisor", "demo-supervisor-2025", StaffRole.SUPERVISOR),
    DemoLogin("operator", "demo-operator-2025", StaffRole.OPERATOR),
    DemoLogin("committee", "demo-committee-2025", StaffRole.COMMITTEE),
)


@dataclass
class DemoReport:
    commune_code: str
    commune_name: str
    reused: bool
    villages: int
    households: int
    persons: int
    staff_created: list[str] = field(default_factory=list)


def build_demo(
    *,
    context: Context,
    seed: int = DEFAULT_SEED,
    people: int = DEFAULT_PEOPLE,
    commune_code: str = DEFAULT_COMMUNE_CODE,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Load the demo commune into an empty registry (or keep what is there), then open the logins.

    One transaction: an interrupted build leaves an empty registry, which the next run builds again.
    """
    clock = context.clock
    with unit_of_work(context.database.sessions) as session:
        communes = service.list_communes(session=session)
        reused = bool(communes)
        if not reused:
            commune = generate_commune(
                seed=seed, people=people, commune_code=commune_code, reference_date=clock.today()
            )
            load_population(session=session, clock=clock, actor=SYSTEM, commune=commune, progress=progress)
            # The simulated agencies hold the residents' licences, vehicles and health-insurance cards.
            fill_agencies(session=session, clock=clock, commune=commune)
            code, name = commune.code, commune.name
        else:
            code, name = communes[0].code, communes[0].name
        existing = {account.username for account in list_staff(session=session)}
        created = []
        for login in DEMO_LOGINS:
            if login.username not in existing:
                create_staff(
                    session=session,
                    clock=clock,
                    username=login.username,
                    password=login.password,
                    role=login.role,
                    commune_code=code if login.scoped else None,
                )
                created.append(login.username)
        stats = service.registry_stats(session=session, reference_date=clock.today())
    return DemoReport(
        commune_code=code,
        commune_name=name,
        reused=reused,
        villages=stats.villages,
        households=stats.households,
        persons=stats.persons,
        staff_created=created,
    )
