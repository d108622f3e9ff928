"""Signing's fixtures: the runtime on the test's data folder, a holder with an activated signature, and the
independent tools (poppler's ``pdfsig``, SoftHSM2) — skipped with the reason when absent, unless
``CIVICID_REQUIRE_SIGNING_TOOLS=1`` (set by ``.ci/run``) makes their absence a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.factories import MakePerson, Phone, activated_phone, activated_signature, signing_runtime

from civicid.core.runtime import Context
from civicid.signing.service import CertificateView, Signing

SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


def _missing(what: str) -> None:
    if os.environ.get("CIVICID_REQUIRE_SIGNING_TOOLS") == "1":
        pytest.fail(f"{what} is not installed")
    pytest.skip(f"{what} is not installed")


@pytest.fixture
def signing(context: Context) -> Signing:
    return signing_runtime(context)


@pytest.fixture
def holder(context: Context, make_person: MakePerson) -> Phone:
    return activated_phone(context, make_person())


@pytest.fixture
def certificate(context: Context, holder: Phone, signing: Signing) -> CertificateView:
    return activated_signature(context, holder, signing)


@pytest.fixture
def pdfsig() -> str:
    path = shutil.which("pdfsig")
    if path is None:
        _missing("poppler's pdfsig (apt-get install poppler-utils)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A fresh SoftHSM2 token for the session (the library reads its configuration once per process):
    (module, token label, user PIN)."""
    module = next((Path(m) for m in SOFTHSM_MODULES if Path(m).exists()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        _missing("SoftHSM2 (apt-get install softhsm2)")
    assert module is not None
    assert util is not None
    tmp_path = tmp_path_factory.mktemp("softhsm")
    (tmp_path / "tokens").mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(  # noqa: S603 - a fixed command line
        [util, "--init-token", "--free", "--label", "civicid-test", "--pin", "246810", "--so-pin", "135791"],
        check=True,
        capture_output=True,
    )
    return module, "civicid-test", "246810"
