// Home: the e-ID card (photo, name, ID number, level, card validity, account status) and the way to
// everything else. The last card read is kept on the phone and shown, with its age, when there is no
// signal, even once the session has ended.
//
// The card is GET /me/card (civicid-card/1). Its portrait (a JPEG thumbnail, or an SVG drawing for the
// demo's simulated people) is fetched with the session's headers and shown through a blob: URL; it is
// kept on the phone with the card.

import { Offline, Problem, SessionEnded, getBlob, getJSON, postJSON, reachable } from "../api.js";
import { ago, daysUntil, formatDate, label, problemSentence, t } from "../i18n.js";
import { go, screenTicket, setBanner, stillOn, takeNote } from "../nav.js";
import { copy, forgetSession, saveCopy, session } from "../store.js";
import { button, h, icon, link, notice, screen, withIcon } from "../ui.js";

const CARD_FORMAT = "civicid-card/1";
const EXPIRY_WARNING_DAYS = 30;
let portraitUrl = null;

async function readCard() {
  const card = await getJSON("/me/card", { holder: true });
  if (card.format !== CARD_FORMAT) throw new Problem(422, { code: "unknown_format" });
  let portrait = null;
  if (card.portrait) {
    try {
      portrait = await getBlob(card.portrait);
    } catch (error) {
      // The card without its photo is still the card; a session that ended is not.
      if (error instanceof SessionEnded) throw error;
    }
  }
  return { card, portrait };
}

function row(term, value) {
  return value === null || value === undefined ? null : [h("dt", {}, term), h("dd", {}, value)];
}

function cardWarning(card) {
  if (!card || !card.expiry_date) return null;
  const days = daysUntil(card.expiry_date);
  if (days < 0) return notice("bad", "warning", t("card.expired", { date: formatDate(card.expiry_date) }));
  if (days <= EXPIRY_WARNING_DAYS)
    return notice("warn", "warning", t("card.expiring", { date: formatDate(card.expiry_date) }));
  return null;
}

function statusBadge(status) {
  const icons = { active: "check", locked: "lock", pending_activation: "clock", closed: "cross" };
  const kind = status === "active" ? "ok" : status === "locked" || status === "closed" ? "bad" : "warn";
  return h("span", { class: `badge ${kind}` }, ...withIcon(icons[status] || "info", label("status", status)));
}

function portrait(blob, name) {
  if (portraitUrl) URL.revokeObjectURL(portraitUrl);
  portraitUrl = blob ? URL.createObjectURL(blob) : null;
  return portraitUrl
    ? h("img", { class: "portrait", src: portraitUrl, alt: t("card.portrait_of", { name: name || "" }) })
    : h("div", { class: "portrait none", role: "img", "aria-label": t("card.no_portrait") }, icon("person"));
}

function draw(view, saved, { offline = false, refreshing = false, note = null, loggedIn = true } = {}) {
  const { card: c, portrait: blob } = saved.data;
  const idCard = c.card || null;
  const age = ago(saved.saved_at);
  setBanner(offline ? t("offline.banner", { age }) : null);
  screen(
    view,
    t("card.title"),
    note ? notice("ok", "check", note) : null,
    h(
      "section",
      { class: "idcard", "aria-label": t("card.title") },
      portrait(blob, c.full_name),
      h(
        "div",
        { class: "who" },
        h("p", { class: "name" }, c.full_name),
        h("p", { class: "level" }, t("card.level_value", { level: c.level })),
        statusBadge(c.account_status),
      ),
      h("p", { class: "id-number" }, h("span", { class: "id-label" }, t("field.id_number")), c.id_number),
      h(
        "dl",
        { class: "facts" },
        row(t("card.date_of_birth"), formatDate(c.date_of_birth)),
        row(t("card.sex"), label("sex", c.sex)),
        idCard ? row(t("card.card_number"), idCard.number) : null,
        idCard ? row(t("card.issued"), formatDate(idCard.issue_date)) : null,
        idCard
          ? row(t("card.valid_until"), idCard.expiry_date ? formatDate(idCard.expiry_date) : t("card.no_expiry"))
          : null,
        idCard ? row(t("card.card_status"), label("card_status", idCard.status)) : null,
      ),
      h(
        "p",
        { class: `as-of${offline ? " stale" : ""}` },
        ...withIcon(offline ? "offline" : "clock", refreshing ? t("card.refreshing", { age }) : t("as_of", { age })),
      ),
    ),
    cardWarning(idCard),
    h(
      "nav",
      { class: "menu" },
      loggedIn ? link("#/qr", "card", t("menu.qr")) : null,
      link("#/documents", "documents", t("menu.documents")),
      link("#/history", "history", t("menu.history")),
      link("#/signature", "key", t("menu.signature")),
      link("#/security", "shield", t("menu.security")),
      link("#/children", "person", t("child.menu")),
    ),
    loggedIn ? logoutButton() : link("#/login", "login", t("login.title"), "quiet"),
  );
}

function logoutButton() {
  const out = button("logout", t("menu.logout"), { class: "button quiet" });
  out.addEventListener("click", async () => {
    out.disabled = true;
    try {
      await postJSON("/me/logout", undefined, { holder: true });
    } catch {
      // No signal: the session is forgotten here and ends by itself within the hour.
    }
    await forgetSession();
    go("login", t("menu.logged_out"));
  });
  return out;
}

export async function show(view, [mode] = []) {
  const ticket = screenTicket();
  const note = takeNote();
  const saved = await copy("card");
  const current = await session();
  if (mode === "saved" && saved) return draw(view, saved, { offline: true, loggedIn: Boolean(current) });
  if (!current) {
    if (saved && !(await reachable())) return draw(view, saved, { offline: true, loggedIn: false });
    return go("login", note);
  }
  if (saved) draw(view, saved, { refreshing: true, note });
  else screen(view, t("card.title"), h("p", { class: "loading" }, t("loading")));
  try {
    const fresh = await readCard();
    await saveCopy("card", fresh);
    if (stillOn(ticket)) draw(view, { data: fresh, saved_at: Date.now() }, { note });
  } catch (error) {
    if (error instanceof SessionEnded || !stillOn(ticket)) return;
    if (error instanceof Offline && saved) return draw(view, saved, { offline: true });
    const retry = button("refresh", t("common.retry"));
    retry.addEventListener("click", () => go(""));
    screen(view, t("card.title"), notice("bad", "warning", problemSentence(error)), retry);
  }
}
