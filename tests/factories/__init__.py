"""One way to make data in tests: through the real services and the simulator, never raw rows.

Each module makes the data of one capability; everything is imported from here::

    from tests.factories import log_in, registered_kit, staff_member

A factory takes the test's ``context`` and makes its data in a transaction of its own, as one
request or job would, and returns what a caller needs next (an id, a ``PersonRead``, a username).
The few that take a ``session`` queue their data in the caller's transaction, as production code
does (an SMS is queued with its cause). Fixtures stay in the ``conftest.py`` files and call these.

- :mod:`.registry`: communes, villages, households, people (``registered_person``, ``residents``).
- :mod:`.staff`: staff accounts and the one ``log_in`` (through the API).
- :mod:`.accounts`, :mod:`.wallet`: issued accounts, the holder's ``Phone``, documents handed over.
- :mod:`.kits`: simulated kits and their packets; real kits set up from an enrollment file.
- :mod:`.applications`: captures taken through intake and the pipeline, and the supervisor's decisions.
- :mod:`.idp`: relying parties and the citizen's browser at the OpenID provider.
- :mod:`.campaign`, :mod:`.notify`, :mod:`.biometrics`: campaigns and visits, SMS, simulated templates.
- :mod:`.faces`: the vendored real portraits and their documented transforms.
"""

from __future__ import annotations

from .accounts import (
    ANSWERS,
    ARRIVAL,
    HOLDER_PASSWORD,
    PASSCODE,
    Phone,
    activated_phone,
    attempt,
    codes_sent,
    holder_phone,
    issued_account,
)
from .actors import ADMIN, COMMITTEE, OFFICER, SUPERVISOR
from .applications import (
    application_status,
    approved,
    checked_application,
    checked_on_day,
    issue_waiting,
    run_jobs,
    stages_of,
    suspected_duplicate,
)
from .biometrics import MATED_SIZE, sim_exact, sim_ids, sim_matrix, sim_template
from .campaign import (
    DEADLINE,
    START,
    VISITED_AT,
    SmallCommune,
    campaign_teams,
    kit_sent_to,
    mapped_commune,
    running_campaign,
    team_assignment,
    village_adults,
    visit_report,
)
from .everyone import (
    add_child,
    assisted_activated,
    audit_actions,
    card_qr_png,
    confirm_assisted,
    face_check,
    link_guardian,
    register_level1,
    selfie_of,
    start_assisted,
)
from .faces import OTHERS, SAME_PERSON, portrait, transformed, two_faces
from .idp import (
    ISSUER,
    PORTAL_CALLBACK,
    PORTAL_LOGGED_OUT,
    Browser,
    hidden,
    http,
    provider_app,
    redirect_params,
    registered_service,
)
from .kits import (
    KIT_LOGIN,
    KIT_OPERATOR,
    KIT_PASSWORD,
    KIT_SUPERVISOR,
    assigned,
    captured_packet,
    copied_kit,
    delivered,
    device_of,
    field_kit,
    kit_resident,
    registered_kit,
    synced,
    synced_kit_template,
)
from .notify import queue_approved_sms
from .registry import (
    COMMUNE,
    MakePerson,
    PeopleOf,
    demo_commune,
    person_in,
    registered_household,
    registered_person,
    registered_village,
    residents,
    served_commune,
    small_commune,
)
from .signing import activated_signature, sample_pdf, signing_runtime
from .staff import STAFF_PASSWORD, api_client, log_in, login_attempt, staff_member, staff_password
from .wallet import HEALTH, LICENCE, handed_over, held_licence

__all__ = [
    "ADMIN",
    "ANSWERS",
    "ARRIVAL",
    "COMMITTEE",
    "COMMUNE",
    "DEADLINE",
    "HEALTH",
    "HOLDER_PASSWORD",
    "ISSUER",
    "KIT_LOGIN",
    "KIT_OPERATOR",
    "KIT_PASSWORD",
    "KIT_SUPERVISOR",
    "LICENCE",
    "MATED_SIZE",
    "OFFICER",
    "OTHERS",
    "PASSCODE",
    "PORTAL_CALLBACK",
    "PORTAL_LOGGED_OUT",
    "SAME_PERSON",
    "STAFF_PASSWORD",
    "START",
    "SUPERVISOR",
    "VISITED_AT",
    "Browser",
    "MakePerson",
    "PeopleOf",
    "Phone",
    "SmallCommune",
    "activated_phone",
    "activated_signature",
    "add_child",
    "api_client",
    "application_status",
    "approved",
    "assigned",
    "assisted_activated",
    "attempt",
    "audit_actions",
    "campaign_teams",
    "captured_packet",
    "card_qr_png",
    "checked_application",
    "checked_on_day",
    "codes_sent",
    "confirm_assisted",
    "copied_kit",
    "delivered",
    "demo_commune",
    "device_of",
    "face_check",
    "field_kit",
    "handed_over",
    "held_licence",
    "hidden",
    "holder_phone",
    "http",
    "issue_waiting",
    "issued_account",
    "kit_resident",
    "kit_sent_to",
    "link_guardian",
    "log_in",
    "login_attempt",
    "mapped_commune",
    "person_in",
    "portrait",
    "provider_app",
    "queue_approved_sms",
    "redirect_params",
    "register_level1",
    "registered_household",
    "registered_kit",
    "registered_person",
    "registered_service",
    "registered_village",
    "residents",
    "run_jobs",
    "running_campaign",
    "sample_pdf",
    "selfie_of",
    "served_commune",
    "signing_runtime",
    "sim_exact",
    "sim_ids",
    "sim_matrix",
    "sim_template",
    "small_commune",
    "staff_member",
    "staff_password",
    "stages_of",
    "start_assisted",
    "suspected_duplicate",
    "synced",
    "synced_kit_template",
    "team_assignment",
    "transformed",
    "two_faces",
    "village_adults",
    "visit_report",
]
