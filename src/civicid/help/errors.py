"""Errors of the help pages."""

from civicid.core.errors import CivicIDError, NotFound


class GuideNotFound(NotFound):
    code = "guide_not_found"
    title = "No such help page"


class SpeechUnavailable(CivicIDError):
    code = "speech_unavailable"
    title = "espeak-ng is not installed: the guides cannot be spoken"
    status = 503
