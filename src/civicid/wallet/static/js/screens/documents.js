// The document wallet (DOMAIN.md "The document wallet"): the list (a licence close to expiry in red, a
// revoked one marked), adding a document by its key fields, and opening one with the passcode.
// The last list read is kept on the phone and shown, with its age, when there is no signal.
//
// API (civicid-wallet/1): GET /me/wallet, GET /me/wallet/kinds, POST /me/wallet/documents,
// POST /me/wallet/documents/{id}/open. Where the server lacks kinds, the app's own list of kinds is used.

import { Offline, Problem, SessionEnded, getJSON, postJSON } from "../api.js";
import { ago, formatDate, label, lang, problemSentence, t } from "../i18n.js";
import { go, screenTicket, setBanner, stillOn } from "../nav.js";
import { copy, saveCopy, session } from "../store.js";
import { field, form, h, icon, link, notice, passcodeField, screen, submit, withIcon } from "../ui.js";

const WALLET = "/me/wallet";
const KINDS = ["driving_licence", "health_insurance", "vehicle_registration", "social_insurance", "tax"];
const KIND_ICONS = {
  driving_licence: "licence",
  vehicle_registration: "vehicle",
  health_insurance: "health",
  social_insurance: "health",
  tax: "documents",
};

// A label the server gives as {vi, en} (or {label: {vi, en}}), in the person's language.
const spoken = (item, fallback) =>
  (item && (item[lang()] || (item.label && item.label[lang()]) || item.en)) || fallback;

const EXPIRY_WARNING_DAYS = 30;
const daysLeft = (date) => (date ? (Date.parse(date) - Date.now()) / (24 * 3600 * 1000) : Infinity);
const masked = (number) => (number ? `${"•".repeat(Math.max(0, number.length - 4))}${number.slice(-4)}` : "");

function normalise(doc) {
  return {
    id: doc.id,
    kind: doc.kind,
    status: doc.status,
    number_masked: doc.number_masked || masked(doc.number),
    reason: doc.reason,
    valid_until: doc.valid_until || null,
    expiring_soon: Boolean(doc.expiring_soon),
    revoked: Boolean(doc.revoked),
  };
}

// The kinds a holder can add, each with its key fields: [{kind, name, fields: [{name, label}]}].
async function kinds() {
  try {
    const answer = await getJSON(`${WALLET}/kinds`, { holder: true });
    const list = Array.isArray(answer) ? answer : answer.kinds || [];
    return list.map((k) => ({
      kind: k.kind || k.id,
      name: spoken(k, label("kind", k.kind || k.id)),
      fields: (k.fields || k.key_fields || [])
        .map((f) => (typeof f === "string" ? { name: f } : { ...f, name: f.name || f.id || f.key }))
        .filter((f) => f.name && f.name !== "number")
        .map((f) => ({ name: f.name, label: spoken(f, label("doc_field", f.name)), required: f.required !== false })),
    }));
  } catch (error) {
    if (!(error instanceof Problem) || error.status !== 404) throw error;
    return KINDS.map((kind) => ({ kind, name: label("kind", kind), fields: [] }));
  }
}

function statusLine(doc) {
  if (doc.revoked) return h("p", { class: "badge bad" }, ...withIcon("cross", t("doc.revoked")));
  if (doc.status === "integrated") return h("p", { class: "badge ok" }, ...withIcon("check", t("doc.integrated")));
  if (doc.status === "refused") {
    return h(
      "p",
      { class: "badge bad" },
      ...withIcon("cross", t("doc.refused", { reason: label("reason", doc.reason || "unknown") })),
    );
  }
  return h("p", { class: "badge warn" }, ...withIcon("clock", t("doc.pending")));
}

function documentItem(doc, online) {
  // The server says; a copy read days ago is checked again against today (DOMAIN.md: red when close).
  const left = daysLeft(doc.valid_until);
  const soon = !doc.revoked && (doc.expiring_soon || left <= EXPIRY_WARNING_DAYS);
  const expiry = left < 0 ? "doc.expired" : soon ? "doc.expiring" : "doc.valid_until";
  const classes = ["document", doc.status, soon ? "expiring" : "", doc.revoked ? "revoked" : ""].join(" ").trim();
  return h(
    "li",
    { class: classes },
    h(
      "div",
      { class: "doc-head" },
      icon(KIND_ICONS[doc.kind] || "documents"),
      h(
        "div",
        {},
        h("p", { class: "doc-kind" }, label("kind", doc.kind)),
        h("p", { class: "doc-number" }, doc.number_masked),
      ),
    ),
    statusLine(doc),
    doc.valid_until
      ? h(
          "p",
          { class: soon ? "expiry soon" : "expiry" },
          ...withIcon(soon ? "warning" : "clock", t(expiry, { date: formatDate(doc.valid_until) })),
        )
      : null,
    online && doc.status === "integrated" && !doc.revoked
      ? link(`#/documents/open/${encodeURIComponent(doc.id)}`, "eye", t("doc.open"), "quiet")
      : null,
  );
}

function drawList(view, saved, { offline = false } = {}) {
  const documents = saved.data;
  const age = ago(saved.saved_at);
  setBanner(offline ? t("offline.banner", { age }) : null);
  screen(
    view,
    t("menu.documents"),
    h(
      "p",
      { class: `as-of${offline ? " stale" : ""}` },
      ...withIcon(offline ? "offline" : "clock", t("as_of", { age })),
    ),
    documents.length
      ? h(
          "ul",
          { class: "documents" },
          documents.map((doc) => documentItem(doc, !offline)),
        )
      : h("p", { class: "muted" }, t("doc.empty")),
    offline ? null : link("#/documents/add", "plus", t("doc.add"), "big primary"),
    link("#/", "back", t("common.home"), "quiet"),
  );
}

async function list(view) {
  const ticket = screenTicket();
  const saved = await copy("documents");
  if (!(await session())) {
    if (saved) return drawList(view, saved, { offline: true });
    return go("login");
  }
  if (saved) drawList(view, saved);
  else screen(view, t("menu.documents"), h("p", { class: "loading" }, t("loading")));
  try {
    const wallet = await getJSON(WALLET, { holder: true });
    const documents = (wallet.documents || []).map(normalise);
    await saveCopy("documents", documents);
    if (stillOn(ticket)) drawList(view, { data: documents, saved_at: Date.now() });
  } catch (error) {
    if (error instanceof SessionEnded || !stillOn(ticket)) return;
    if (error instanceof Offline && saved) return drawList(view, saved, { offline: true });
    screen(
      view,
      t("menu.documents"),
      notice("bad", "warning", problemSentence(error)),
      link("#/", "back", t("common.home"), "quiet"),
    );
  }
}

async function add(view) {
  const ticket = screenTicket();
  let offered;
  try {
    offered = await kinds();
  } catch (error) {
    if (!(error instanceof SessionEnded) && stillOn(ticket))
      screen(view, t("doc.add"), notice("bad", "warning", problemSentence(error)));
    return;
  }
  if (!stillOn(ticket)) return;
  const kind = field(t("doc.kind"), { tag: "select", name: "kind", required: true });
  kind.input.append(
    h("option", { value: "" }, t("activate.choose")),
    ...offered.map((k) => h("option", { value: k.kind }, k.name)),
  );
  const number = field(
    t("doc.number"),
    { name: "number", autocomplete: "off", maxlength: "64", required: true },
    t("doc.number_hint"),
  );
  const extra = h("div", { class: "extra-fields" });
  kind.input.addEventListener("change", () => {
    const chosen = offered.find((k) => k.kind === kind.input.value);
    extra.replaceChildren(
      ...(chosen ? chosen.fields : []).map(
        (f) =>
          field(f.label, { name: `field:${f.name}`, autocomplete: "off", maxlength: "64", required: f.required }).wrap,
      ),
    );
  });
  const confirm = h(
    "label",
    { class: "toggle" },
    h("input", { type: "checkbox", name: "confirm", value: "yes" }),
    t("doc.confirm"),
  );
  const result = h("div", { "aria-live": "polite" });
  screen(
    view,
    t("doc.add"),
    h("p", { class: "lead" }, t("doc.add_intro")),
    form(
      {
        check: (v) => {
          const chosen = offered.find((k) => k.kind === v.kind);
          if (!chosen) return t("check.kind");
          if (!v.number) return t("check.number");
          if (chosen.fields.some((f) => f.required && !v[`field:${f.name}`])) return t("check.fields");
          return v.confirm ? null : t("check.confirm");
        },
        work: async (v) => {
          const fields = Object.fromEntries(
            Object.entries(v)
              .filter(([k]) => k.startsWith("field:"))
              .map(([k, value]) => [k.slice(6), value]),
          );
          const doc = normalise(
            await postJSON(`${WALLET}/documents`, { kind: v.kind, number: v.number, fields }, { holder: true }),
          );
          const sentence =
            doc.status === "integrated"
              ? t("doc.added_integrated")
              : doc.status === "refused"
                ? t("doc.added_refused", { reason: label("reason", doc.reason || "unknown") })
                : t("doc.added_pending");
          result.replaceChildren(
            notice(doc.status === "refused" ? "bad" : "ok", doc.status === "refused" ? "cross" : "check", sentence),
          );
        },
      },
      kind.wrap,
      number.wrap,
      extra,
      confirm,
      submit("plus", t("doc.add_submit")),
    ),
    result,
    link("#/documents", "back", t("menu.documents"), "quiet"),
  );
}

// What an opened document says: its fields, named in words where the app knows them.
function detailRows(details) {
  const rows = [];
  const skip = new Set(["id", "format", "fields", "kind"]);
  const value = (name, v) => (/(_at|_until|_date)$/.test(name) && typeof v === "string" ? formatDate(v) : String(v));
  for (const [name, v] of Object.entries(details)) {
    if (skip.has(name) || v === null || typeof v === "object") continue;
    rows.push(
      h("dt", {}, label("doc_field", name)),
      h("dd", {}, name === "status" ? label("doc_status", v) : value(name, v)),
    );
  }
  for (const [name, v] of Object.entries(details.fields || {})) {
    rows.push(h("dt", {}, label("doc_field", name)), h("dd", {}, value(name, v)));
  }
  return rows;
}

async function open(view, id) {
  if (!(await session())) return go("login");
  const passcode = passcodeField();
  const shown = h("div", { "aria-live": "polite" });
  const opener = form(
    {
      check: (v) => (!/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null),
      work: async (v) => {
        const details = await postJSON(
          `${WALLET}/documents/${encodeURIComponent(id)}/open`,
          { passcode: v.passcode },
          { holder: true },
        );
        opener.hidden = true;
        shown.replaceChildren(
          h("h2", {}, label("kind", details.kind || "")),
          h("dl", { class: "facts" }, detailRows(details)),
        );
      },
    },
    passcode.wrap,
    submit("eye", t("doc.open")),
  );
  screen(
    view,
    t("doc.open_title"),
    h("p", { class: "lead" }, t("doc.open_intro")),
    opener,
    shown,
    link("#/documents", "back", t("menu.documents"), "quiet"),
  );
  passcode.input.focus();
}

export async function show(view, [action, id] = []) {
  if (action === "add") return add(view);
  if (action === "open" && id) return open(view, decodeURIComponent(id));
  return list(view);
}
