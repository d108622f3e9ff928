// The first screen on a phone that holds no account yet: activate; move an account used on another phone
// to this one; lock it when that phone is lost; unlock a locked account; check a signed PDF (no account needed).

import { t } from "../i18n.js";
import { takeNote } from "../nav.js";
import { h, link, notice, screen } from "../ui.js";

export async function show(view) {
  const note = takeNote();
  screen(
    view,
    t("welcome.title"),
    note ? notice("warn", "info", note) : null,
    h("p", { class: "lead" }, t("welcome.intro")),
    h(
      "nav",
      { class: "menu" },
      link("#/activate", "key", t("welcome.activate"), "big primary"),
      link("#/login", "login", t("welcome.login")),
      link("#/level1", "person", t("level1.start")),
    ),
    h("p", { class: "muted" }, t("welcome.new_phone")),
    h(
      "nav",
      { class: "menu" },
      link("#/move", "phone", t("menu.move")),
      link("#/lost", "warning", t("menu.lost"), "big danger"),
    ),
    h(
      "nav",
      { class: "menu small" },
      link("#/unlock", "unlock", t("unlock.title"), "quiet"),
      link("#/verify-pdf", "check", t("menu.verify_pdf"), "quiet"),
      link("/help/", "info", t("help.link"), "quiet"),
    ),
  );
}
