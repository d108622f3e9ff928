"""The citizen's app at /app/: the shell in both languages, its CSP, the manifest and icons, the service
worker's headers, what it caches, and the words and modules the screens rely on."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from PIL import Image

from civicid.app import create_app
from civicid.core.runtime import Context
from civicid.wallet import pages

pytestmark = pytest.mark.anyio
SCRIPTS = sorted((pages.STATIC_DIR / "js").rglob("*.js"))
MESSAGE_KEY = re.compile(r"""\bt\(\s*"([a-z0-9_.]+)"|data-i18n="([a-z0-9_.]+)\"""")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(context: Context) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=create_app(context)), base_url="http://testserver") as c:
        yield c


def directives(policy: str) -> dict[str, str]:
    return {name: value.strip() for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))}


class TestShell:
    async def test_vietnamese_first(self, client: AsyncClient) -> None:
        response = await client.get("/app/")
        assert response.status_code == 200
        assert '<html lang="vi">' in response.text
        assert "<title>CivicID – Định danh điện tử</title>" in response.text
        assert 'href="/app/?lang=en"' in response.text
        assert '<link rel="manifest" href="/app/manifest.webmanifest">' in response.text

    async def test_english_on_the_switch_and_remembered(self, client: AsyncClient) -> None:
        response = await client.get("/app/?lang=en")
        assert '<html lang="en">' in response.text
        assert "<title>CivicID – e-ID</title>" in response.text
        assert "Large text" in response.text
        assert 'href="/app/?lang=vi"' in response.text
        assert '<html lang="en">' in (await client.get("/app/")).text  # the lang cookie

    async def test_without_slash_redirects(self, client: AsyncClient) -> None:
        response = await client.get("/app", follow_redirects=False)
        assert response.status_code == 308
        assert response.headers["location"] == "/app/"

    async def test_csp_is_strict_and_the_shell_needs_nothing_inline(self, client: AsyncClient) -> None:
        response = await client.get("/app/")
        policy = directives(response.headers["content-security-policy"])
        assert policy["default-src"] == "'self'"  # scripts, styles, workers, the manifest: this server only
        assert policy["img-src"] == "'self' blob: data:"  # the portrait, fetched with the session's headers
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert "unsafe" not in response.headers["content-security-policy"]
        assert "script-src" not in policy
        assert "style-src" not in policy
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", response.text, re.S)
        assert scripts == [(' type="module" src="/app/static/js/main.js"', "")]
        assert not re.search(r"\sstyle=|\son[a-z]+=|<style", response.text)
        assert "http://" not in response.text
        assert "https://" not in response.text
        assert response.headers["cache-control"] == "no-store"

    async def test_version_names_the_service_worker_cache(self, client: AsyncClient) -> None:
        shell = (await client.get("/app/")).text
        assert f'<meta name="civicid-app-version" content="{pages.version()}">' in shell


class TestInstallable:
    async def test_manifest(self, client: AsyncClient) -> None:
        response = await client.get("/app/manifest.webmanifest")
        assert response.headers["content-type"] == "application/manifest+json"
        manifest = response.json()
        assert manifest["start_url"] == manifest["scope"] == manifest["id"] == "/app/"
        assert manifest["display"] == "standalone"
        assert manifest["theme_color"] == pages.THEME_COLOUR
        assert manifest["lang"] == "vi"
        assert manifest["name"] == "CivicID – Định danh điện tử"
        english = (await client.get("/app/manifest.webmanifest", headers={"Accept-Language": "en"})).json()
        assert english["name"] == "CivicID – e-ID"

    async def test_icons_are_local_pngs_of_their_sizes(self, client: AsyncClient) -> None:
        icons = (await client.get("/app/manifest.webmanifest")).json()["icons"]
        assert {icon["purpose"] for icon in icons} == {"any", "maskable"}
        assert any(icon["sizes"] == "192x192" for icon in icons)
        assert any(icon["sizes"] == "512x512" for icon in icons)
        for icon in icons:
            assert icon["src"].startswith("/app/static/icons/")
            response = await client.get(icon["src"])
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/png"
            width, height = Image.open(io.BytesIO(response.content)).size
            assert f"{width}x{height}" == icon["sizes"]

    async def test_service_worker_scope_and_type(self, client: AsyncClient) -> None:
        response = await client.get(f"/app/sw.js?v={pages.version()}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["service-worker-allowed"] == "/app/"
        assert response.headers["cache-control"] == "no-cache"  # a new release is seen at once
        assert 'self.addEventListener("fetch"' in response.text

    async def test_precache_lists_everything_the_app_is_made_of(self, client: AsyncClient) -> None:
        listing = (await client.get("/app/precache.json")).json()
        assert listing["version"] == pages.version()
        urls = set(listing["urls"])
        assert {"/app/", "/app/manifest.webmanifest", "/app/i18n/vi.json", "/app/i18n/en.json"} <= urls
        assert {"/app/static/app.css", "/app/static/icons.svg"} <= urls
        assert {f"/app/static/{p.relative_to(pages.STATIC_DIR).as_posix()}" for p in SCRIPTS} <= urls
        assert "/app/static/sw.js" not in urls
        for url in sorted(urls):
            assert (await client.get(url)).status_code == 200, url


class TestWords:
    async def test_both_languages_say_the_same_things(self, client: AsyncClient) -> None:
        vi = (await client.get("/app/i18n/vi.json")).json()
        en = (await client.get("/app/i18n/en.json")).json()
        assert set(vi) == set(en)
        assert vi["menu.documents"] == "Giấy tờ của tôi"
        assert en["menu.documents"] == "My documents"
        assert (await client.get("/app/i18n/fr.json")).status_code == 404

    async def test_every_message_a_screen_asks_for_exists(self, client: AsyncClient) -> None:
        words = (await client.get("/app/i18n/en.json")).json()
        sources = [*SCRIPTS, pages.TEMPLATE]
        asked = {key for path in sources for match in MESSAGE_KEY.findall(path.read_text()) for key in match if key}
        assert len(asked) > 50  # the pattern finds them
        assert sorted(asked - set(words)) == []

    async def test_each_problem_code_of_the_holder_and_wallet_apis_has_a_sentence(self, client: AsyncClient) -> None:
        words = (await client.get("/app/i18n/vi.json")).json()
        codes = {
            "invalid_code", "invalid_ticket", "invalid_credentials", "login_locked", "account_locked",
            "invalid_passcode", "passcode_locked", "device_not_bound", "invalid_device_proof", "rate_limited",
            "invalid_holder_input", "lock_not_liftable", "validation_error", "database_unavailable",
            "document_not_confirmed", "document_already_in_wallet", "invalid_key_fields",
            "invalid_wallet_document", "wallet_document_not_found",
        }  # fmt: skip
        assert sorted(code for code in codes if f"problem.{code}" not in words) == []


class TestScripts:
    def test_no_markup_from_strings_and_nothing_from_elsewhere(self) -> None:
        for path in [*SCRIPTS, pages.SERVICE_WORKER]:
            text = path.read_text()
            for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
                assert risky not in text, f"{path.name}: {risky}"
            assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name

    def test_every_import_names_an_export(self) -> None:
        """No bundler checks the modules: a name imported that its module does not export would break the app."""
        exported = {path: _exports(path.read_text()) for path in SCRIPTS}
        for path in SCRIPTS:
            for names, target in re.findall(r'import \{([^}]*)\} from "([^"]+)"', path.read_text()):
                module = (path.parent / target).resolve()
                assert module in exported, f"{path.name} imports {target}"
                wanted = {n.split(" as ")[0].strip() for n in names.split(",") if n.strip()}
                assert wanted <= exported[module], f"{path.name}: {sorted(wanted - exported[module])} from {target}"

    def test_words_are_valid_json_in_the_package(self) -> None:
        folder = Path(pages.__file__).parent / "translations"
        vi, en = (json.loads((folder / f"{lang}.json").read_text()) for lang in ("vi", "en"))
        assert set(vi) == set(en)
        assert all(key.startswith(pages.STRING_PREFIX) for key in vi)


def _exports(source: str) -> set[str]:
    names = set(re.findall(r"export (?:async )?(?:function|const|let|class) (\w+)", source))
    for group in re.findall(r"export \{([^}]*)\}", source):
        names |= {n.split(" as ")[-1].strip() for n in group.split(",") if n.strip()}
    return names
