"""Who the factories act as, in the audit log and in maker-checker."""

from __future__ import annotations

from civicid.core.audit import Actor

OFFICER = Actor("staff", "officer.test")  # the commune officer who registers people
ADMIN = Actor("system", "tests")  # the deployment's administrator: devices, kits, assignments
SUPERVISOR = Actor("staff", "supervisor")  # the demo's supervisor, who decides on applications
COMMITTEE = Actor("staff", "committee")  # the commune's campaign committee
