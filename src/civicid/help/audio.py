"""Each guide as speech, generated offline with espeak-ng (its Vietnamese voice ``vi``; ``en`` for English).

``civicid help audio`` writes ``<data>/help-audio/<lang>/<step>.wav``; the help pages serve them from
there (no CDN, nothing leaves the server). espeak-ng is a Debian package (``apt-get install espeak-ng``),
installed by ``make install`` and CI; where it is absent the pages show the text without a player.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

from civicid.help.errors import SpeechUnavailable
from civicid.help.guides import GUIDES, LANGUAGES

AUDIO_FOLDER = "help-audio"
VOICES = {"vi": "vi", "en": "en"}
WORDS_PER_MINUTE = 140  # slower than espeak's 175: for elders and for a first hearing
TIMEOUT_SECONDS = 60


def espeak() -> str | None:
    """The espeak-ng program, if installed."""
    return shutil.which("espeak-ng")


def audio_dir(data_dir: Path) -> Path:
    return data_dir / AUDIO_FOLDER


def audio_path(data_dir: Path, language: str, step: str) -> Path:
    return audio_dir(data_dir) / language / f"{step}.wav"


def generate(data_dir: Path) -> list[Path]:
    """Speak every guide in every language into WAV files; the files written. Raises SpeechUnavailable."""
    program = espeak()
    if program is None:
        raise SpeechUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    written = []
    for step, by_language in GUIDES.items():
        for language in LANGUAGES:
            path = audio_path(data_dir, language, step)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = by_language[language].speech()
            # The text goes on stdin, never on the command line; the voice and speed are fixed values.
            subprocess.run(  # noqa: S603 - a fixed program and fixed arguments
                [program, "-v", VOICES[language], "-s", str(WORDS_PER_MINUTE), "-w", str(path), "--stdin"],
                input=text.encode(),
                check=True,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
            )
            written.append(path)
    return written


def duration_seconds(path: Path) -> float:
    """A WAV file's duration from its header (frames / rate)."""
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()
