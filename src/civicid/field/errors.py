"""Errors of the field kit and of the server's field endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civicid.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound

if TYPE_CHECKING:
    from civicid.biometrics.portrait_quality import PortraitQuality


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


class PortraitRefused(InvalidCapture):
    """The kit's quality check refused the portrait: retake it, or a supervisor keeps it with a reason."""

    code = "portrait_refused"
    title = "The portrait does not pass the quality check"

    def __init__(self, quality: PortraitQuality, *, detail: str | None = None) -> None:
        problems = [p.value for p in quality.problems]
        super().__init__(detail or f"portrait refused: {', '.join(problems)}", field="portrait", problems=problems)
        self.quality = quality


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
