// The account's locking history (GET /me/locks), newest first: each lock's ground in words, its reason,
// who placed it and when, and whether it still stands or who lifted it and when.

import { formatDateTime, label, t } from "../i18n.js";
import { go } from "../nav.js";
import { session } from "../store.js";
import { h, icon, link, screen, showLoaded, withIcon } from "../ui.js";

// Reasons the ground already says ("at your request" on a lock of the holder's).
const SAID_BY_THE_GROUND = new Set(["holder_request"]);

// Who placed or lifted a lock ("holder:<account>", "staff:<username>", "system:civicid"), in words.
function who(actor) {
  const [kind, ...rest] = String(actor || "").split(":");
  if (kind === "holder") return t("actor.self");
  if (kind === "staff") return t("actor.staff", { name: rest.join(":") });
  return t("actor.system");
}

const reason = (text) =>
  text && !SAID_BY_THE_GROUND.has(text) ? h("p", {}, t("locks.reason", { reason: label("lock_reason", text) })) : null;

function item(lock) {
  const standing = !lock.lifted_at;
  return h(
    "li",
    { class: `event lock${standing ? " standing" : " lifted"}` },
    icon(standing ? "lock" : "unlock"),
    h(
      "div",
      {},
      h("p", { class: "what" }, label("locks.ground", lock.ground)),
      reason(lock.reason),
      h(
        "p",
        { class: "muted" },
        t("locks.placed", { date: formatDateTime(lock.placed_at), who: who(lock.placed_by) }),
      ),
      standing
        ? h("p", { class: "badge bad" }, ...withIcon("lock", t("locks.standing")))
        : h(
            "p",
            { class: "badge ok" },
            ...withIcon("unlock", t("locks.lifted", { date: formatDateTime(lock.lifted_at), who: who(lock.lifted_by) })),
          ),
      standing ? null : reason(lock.lift_reason),
    ),
  );
}

export async function show(view) {
  if (!(await session())) return go("login");
  const back = link("#/security", "back", t("common.back"), "quiet");
  await showLoaded(view, {
    title: t("menu.locks"),
    path: "/me/locks",
    back,
    draw: (locks) =>
      screen(
        view,
        t("menu.locks"),
        h("p", { class: "lead" }, t("locks.intro")),
        locks.length
          ? h(
              "ol",
              { class: "events locks" },
              locks.map(item),
            )
          : h("p", { class: "muted" }, t("locks.empty")),
        back,
      ),
  });
}
