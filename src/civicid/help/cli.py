"""``civicid help audio``: speak every guide into the data folder, where the help pages serve it."""

from __future__ import annotations

from pathlib import Path

import typer

from civicid.core.console import DataOption, reporting_errors
from civicid.core.settings import load_settings
from civicid.help import audio

app = typer.Typer(no_args_is_help=True)


@app.command("audio")
def audio_command(data: Path | None = DataOption) -> None:
    """Speak every guide with espeak-ng (Vietnamese voice; English too) into help-audio/<lang>/<step>.wav."""
    with reporting_errors():
        settings = load_settings(data)
        written = audio.generate(settings.data_dir)
    total = sum(audio.duration_seconds(path) for path in written)
    typer.echo(f"{len(written)} guides spoken, {total:.0f} s in all, in {audio.audio_dir(settings.data_dir)}")
