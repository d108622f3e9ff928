// The app's start: text size and language, the service worker, and the screens by the URL's fragment
// (#/activate, #/documents …), one module each under screens/.

import { events } from "./api.js";
import { LANGUAGES, lang, otherLang, setLanguage, t } from "./i18n.js";
import { go, newScreen, setBanner } from "./nav.js";
import { preference, savePreference } from "./store.js";
import { h } from "./ui.js";
import * as activate from "./screens/activate.js";
import * as card from "./screens/card.js";
import * as children from "./screens/children.js";
import * as devices from "./screens/devices.js";
import * as documents from "./screens/documents.js";
import * as history from "./screens/history.js";
import * as level1 from "./screens/level1.js";
import * as locks from "./screens/locks.js";
import * as login from "./screens/login.js";
import * as lost from "./screens/lost.js";
import * as move from "./screens/move.js";
import * as security from "./screens/security.js";
import * as sign from "./screens/sign.js";
import * as signature from "./screens/signature.js";
import * as showQr from "./screens/showqr.js";
import * as signingHistory from "./screens/signhistory.js";
import * as unlock from "./screens/unlock.js";
import * as verifyPdf from "./screens/verifypdf.js";
import * as welcome from "./screens/welcome.js";

const SCREENS = {
  "": card,
  saved: { show: (view) => card.show(view, ["saved"]) },
  activate,
  login,
  welcome,
  documents,
  qr: showQr,
  history,
  security,
  devices,
  locks,
  unlock,
  lost,
  move,
  signature,
  sign,
  "verify-pdf": verifyPdf,
  "signing-history": signingHistory,
  level1,
  children,
};

const view = document.getElementById("view");

async function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const screen = SCREENS[name] || card;
  newScreen();
  setBanner(null);
  try {
    await screen.show(view, rest);
  } catch (error) {
    view.replaceChildren(h("p", { class: "notice bad", role: "alert" }, t("problem.unknown")));
    throw error;
  }
}

function applyTextSize(large) {
  document.documentElement.classList.toggle("large-text", large);
  document.getElementById("text-size").setAttribute("aria-pressed", String(large));
  savePreference("large_text", large ? "1" : "0");
}

function labelShell() {
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  const other = otherLang();
  const switcher = document.getElementById("lang-switch");
  switcher.href = `/app/?lang=${other}`;
  switcher.hreflang = other;
  switcher.lang = other;
  switcher.querySelector("span").textContent = LANGUAGES[other];
}

async function switchLanguage(event) {
  event.preventDefault();
  await setLanguage(otherLang());
  labelShell();
  // Tell the server too (its cookie renders the shell in this language next time), if it can be reached.
  fetch(`/app/?lang=${lang()}`, { credentials: "same-origin" }).catch(() => {});
  await route();
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const version = document.querySelector('meta[name="civicid-app-version"]').content;
  navigator.serviceWorker.register(`/app/sw.js?v=${version}`, { scope: "/app/" }).catch(() => {
    // Without it the app still works while there is signal.
  });
}

async function start() {
  applyTextSize(preference("large_text") === "1");
  await setLanguage();
  labelShell();
  document.getElementById("text-size").addEventListener("click", () => {
    applyTextSize(!document.documentElement.classList.contains("large-text"));
  });
  document.getElementById("lang-switch").addEventListener("click", switchLanguage);
  events.addEventListener("session-ended", () => {
    if (!location.hash.startsWith("#/login")) go("login", t("session.ended"));
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => setBanner(null));
  registerServiceWorker();
  await route();
}

start();
