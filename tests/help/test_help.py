"""Help that can be heard: a plain-language guide per step, in Vietnamese and English, printable, and each
spoken by espeak-ng (generated here where espeak-ng is installed; CI installs it and requires it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from httpx import AsyncClient

from civicid.core.runtime import Context
from civicid.help import audio
from civicid.help.guides import GUIDES, LANGUAGES, STEPS

pytestmark = pytest.mark.anyio
ISSUE_STEPS = {"activate", "add_document", "show_qr", "lock", "lost_phone", "relative"}


def _require_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CIVICID_REQUIRE_ESPEAK") == "1":
            pytest.fail("espeak-ng is not installed (apt-get install espeak-ng)")
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every guide spoken once for the module, into a data folder of its own."""
    _require_espeak()
    data = tmp_path_factory.mktemp("help-data")
    audio.generate(data)
    return data


def test_every_step_of_the_issue_has_a_guide_in_both_languages() -> None:
    assert set(STEPS) == ISSUE_STEPS
    for by_language in GUIDES.values():
        assert set(by_language) == set(LANGUAGES)
        assert all(len(g.steps) >= 3 for g in by_language.values())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", STEPS)
def test_every_guide_has_its_speech_of_the_expected_length(spoken: Path, step: str, language: str) -> None:
    path = audio.audio_path(spoken, language, step)
    assert path.stat().st_size > 44  # more than a WAV header
    words = len(GUIDES[step][language].speech().split())
    expected = words / audio.WORDS_PER_MINUTE * 60
    # espeak's pace varies with the language and the pauses; the order of magnitude may not.
    assert expected / 3 < audio.duration_seconds(path) < expected * 3


async def test_a_guide_page_is_plain_printable_and_has_a_play_button(
    client: AsyncClient, context: Context, spoken: Path
) -> None:
    target = audio.audio_dir(context.settings.data_dir)
    shutil.copytree(audio.audio_dir(spoken), target, dirs_exist_ok=True)
    page = await client.get("/help/relative?lang=vi")
    assert page.status_code == 200
    assert "Giúp người thân" in page.text
    assert '<audio id="speech" controls' in page.text
    assert "@media print" in page.text
    sound = await client.get("/help/audio/vi/relative.wav")
    assert sound.status_code == 200
    assert sound.headers["content-type"] == "audio/wav"
    assert sound.content[:4] == b"RIFF"


async def test_without_speech_the_page_says_so_and_the_sound_is_not_found(client: AsyncClient) -> None:
    page = await client.get("/help/lock?lang=en")
    assert page.status_code == 200
    assert 'id="no-speech"' in page.text
    assert "Lock your account" in page.text
    assert (await client.get("/help/audio/en/lock.wav")).status_code == 404


async def test_the_index_lists_every_guide_and_an_unknown_one_is_not_found(client: AsyncClient) -> None:
    index = await client.get("/help/?lang=en")
    assert all(f'href="/help/{step}"' in index.text for step in STEPS)
    assert (await client.get("/help/nothing")).status_code == 404
