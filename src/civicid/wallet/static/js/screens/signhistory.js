// The signing history (GET /api/v1/signing/me/history): what the holder signed, newest first — when, at which
// PAdES level, from the app or at the commune office, and the document's SHA-256 (the server keeps no document).

import { formatDateTime, label, t } from "../i18n.js";
import { go } from "../nav.js";
import { session } from "../store.js";
import { h, icon, link, screen, showLoaded } from "../ui.js";

function item(event) {
  return h(
    "li",
    { class: "event" },
    icon("documents"),
    h(
      "div",
      {},
      h("p", { class: "what" }, t("signing_history.signed", { date: formatDateTime(event.signed_at) })),
      h("p", { class: "muted" }, t("signing_history.how", { level: event.level, channel: label("signing_history.channel", event.channel) })),
      h("p", { class: "hash" }, `SHA-256 ${event.document_sha256}`),
    ),
  );
}

export async function show(view) {
  if (!(await session())) return go("login");
  const back = link("#/signature", "back", t("common.back"), "quiet");
  await showLoaded(view, {
    title: t("menu.signing_history"),
    path: "/api/v1/signing/me/history",
    back,
    draw: (events) =>
      screen(
        view,
        t("menu.signing_history"),
        h("p", { class: "lead" }, t("signing_history.intro")),
        events.length ? h("ol", { class: "events" }, events.map(item)) : h("p", { class: "muted" }, t("signing_history.empty")),
        back,
      ),
  });
}
