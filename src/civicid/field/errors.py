"""Errors of the field kit and of the server's field endpoints."""

from __future__ import annotations

from civicid.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound


class KitNotInitialised(NotFound):
    code = "kit_not_initialised"
    title = "This folder holds no field kit: run `civicid field init` first"


class KitAlreadyInitialised(Conflict):
    code = "kit_already_initialised"
    title = "This folder already holds a field kit"


class CaptureRefused(Conflict):
    """A guard-rail refuses new captures; ``detail`` says why and what to do."""

    code = "capture_refused"
    title = "The kit refuses new captures until it syncs or is looked after"


class InvalidCapture(InvalidInput):
    code = "invalid_capture"
    title = "The capture is incomplete or invalid"


class NotOnThisKit(NotFound):
    code = "not_on_this_kit"
    title = "No such household, person or capture on this kit"


class OutboxTransitionRefused(Conflict):
    code = "outbox_transition_refused"
    title = "The capture is not in a state that allows this"


class MakerChecker(Forbidden):
    code = "maker_checker"
    title = "Whoever captured an application may not approve it"


class OperatorLoginFailed(NotAuthenticated):
    code = "operator_login_failed"
    title = "Wrong user name or password"


class ServerUnreachable(Conflict):
    code = "server_unreachable"
    title = "The central server could not be reached"
