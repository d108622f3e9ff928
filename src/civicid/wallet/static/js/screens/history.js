// The account's usage history (Decree 69/2024 art. 28: kept five years), newest first, a page at a
// time: each action in words ("You logged in", "An officer read your record"), who, and when.

import { SessionEnded, getJSON } from "../api.js";
import { ago, formatDateTime, label, problemSentence, t } from "../i18n.js";
import { go, screenTicket, stillOn } from "../nav.js";
import { session } from "../store.js";
import { button, h, icon, link, notice, screen } from "../ui.js";

const ICONS = [
  ["account.login", "login"],
  ["account.logout", "logout"],
  ["account.lock", "lock"],
  ["account.unlock", "unlock"],
  ["account.device", "phone"],
  ["account.activat", "key"],
  ["person.", "eye"],
  ["wallet.", "documents"],
  ["idp.", "login"],
];
const iconFor = (action) => (ICONS.find(([prefix]) => action.startsWith(prefix)) || [null, "history"])[1];

// The words for an entry: "history.<action>.<actor kind>" where they differ by who did it, else "history.<action>".
function sentence(entry) {
  for (const key of [`${entry.action}.${entry.actor_kind}`, entry.action]) {
    const words = label("history", key);
    if (words !== key) return words;
  }
  return t("history.other", { action: entry.action });
}

function who(entry) {
  if (entry.actor_kind === "holder") return entry.actor === "self" ? t("actor.self") : t("actor.holder");
  if (entry.actor_kind === "staff") return t("actor.staff", { name: entry.actor });
  return label("actor", entry.actor_kind);
}

function details(entry) {
  const d = entry.details || {};
  const parts = [];
  if (d.ground) parts.push(label("ground", d.ground));
  if (d.service) parts.push(d.service);
  if (d.kind) parts.push(label("kind", d.kind));
  if (d.reason && d.reason !== "holder_request") parts.push(label("reason", d.reason));
  return parts.length ? h("p", { class: "muted" }, parts.join(" · ")) : null;
}

function item(entry) {
  return h(
    "li",
    { class: "event" },
    icon(iconFor(entry.action)),
    h(
      "div",
      {},
      h("p", { class: "what" }, sentence(entry)),
      h(
        "p",
        { class: "muted" },
        `${who(entry)} · `,
        h("time", { datetime: entry.at, title: formatDateTime(entry.at) }, ago(Date.parse(entry.at))),
      ),
      details(entry),
    ),
  );
}

export async function show(view) {
  if (!(await session())) return go("login");
  const ticket = screenTicket();
  const list = h("ol", { class: "events" });
  const more = button("more", t("history.more"), { class: "button quiet", hidden: true });
  const problem = h("div", {});
  let before = null;

  async function page() {
    more.disabled = true;
    try {
      const query = before ? `?before=${encodeURIComponent(before)}` : "";
      const answer = await getJSON(`/me/history${query}`, { holder: true });
      if (!stillOn(ticket)) return;
      list.append(...answer.entries.map(item));
      if (!list.children.length) list.append(h("li", { class: "muted" }, t("history.empty")));
      before = answer.next_before;
      more.hidden = !before;
    } catch (error) {
      if (stillOn(ticket) && !(error instanceof SessionEnded))
        problem.replaceChildren(notice("bad", "warning", problemSentence(error)));
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", page);
  screen(
    view,
    t("menu.history"),
    h("p", { class: "lead" }, t("history.intro")),
    problem,
    list,
    more,
    link("#/", "back", t("common.home"), "quiet"),
  );
  await page();
}
