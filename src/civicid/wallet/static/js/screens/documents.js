// The document wallet (DOMAIN.md "The document wallet"; civicid-wallet/1, docs/formats/wallet-v1.md):
// the list without the passcode (numbers masked, a licence ending within 30 days in red, a revoked or
// expired one marked, who confirmed each, a simulated agency said plainly), adding a document by the key
// fields its agency asks for, and opening one with the passcode (its number, key fields and the agency's
// facts). The last list read is kept on the phone and shown, with its age, when there is no signal.
//
// API: GET /me/wallet, GET /me/wallet/kinds, POST /me/wallet/documents (201 integrated, 202 pending),
// POST /me/wallet/documents/{id}/open.

import { Offline, Problem, SessionEnded, getJSON, postJSON } from "../api.js";
import { ago, daysUntil, formatDate, inLanguage, label, problemSentence, t } from "../i18n.js";
import { go, screenTicket, setBanner, stillOn } from "../nav.js";
import { copy, saveCopy, session } from "../store.js";
import { field, form, h, icon, link, notice, passcodeField, screen, submit, withIcon } from "../ui.js";

const WALLET = "/me/wallet";
const WALLET_FORMAT = "civicid-wallet/1";
const EXPIRY_WARNING_DAYS = 30; // the wallet's expiring_soon: valid_until within 30 days, today included
const KIND_ICONS = {
  driving_licence: "licence",
  vehicle_registration: "vehicle",
  health_insurance: "health",
  social_insurance: "health",
  tax: "documents",
};
// The kinds that have a QR profile of their own (docs/formats/qr-v1.md).
const SHOWN_AS_QR = new Set(["driving_licence", "health_insurance", "vehicle_registration"]);
// The agency's facts that are dates, and those said in words.
const DATE_FACTS = new Set(["issued_on", "valid_until", "valid_from", "registered_on"]);
const WORDED_FACTS = new Set(["vehicle_type"]);

function checkedFormat(answer) {
  if (answer.format !== WALLET_FORMAT) throw new Problem(422, { code: "unknown_format" });
  return answer;
}

// The wallet masks all but the last four characters with "*"; the phone shows dots.
const shownNumber = (masked) => masked.replace(/\*/g, "•");

// Where a document stands, in words: the server's flags, and for a copy kept offline, its date read
// again against today (a licence read last week may have come within 30 days of its end since).
function standing(doc) {
  const reason = label("reason", doc.reason || "unknown");
  if (doc.status === "refused") return { kind: "bad", icon: "cross", text: t("doc.refused", { reason }) };
  if (doc.status === "pending") return { kind: "warn", icon: "clock", text: t("doc.pending") };
  if (doc.status !== "integrated") return { kind: "warn", icon: "clock", text: t("doc.requested") };
  const date = doc.valid_until ? formatDate(doc.valid_until) : null;
  const left = doc.valid_until ? daysUntil(doc.valid_until) : Infinity;
  if (doc.revoked) return { kind: "bad", icon: "cross", text: t("doc.revoked"), mark: "revoked" };
  if (doc.expired || left < 0) {
    const text = date ? t("doc.expired", { date }) : t("doc.expired_undated");
    return { kind: "bad", icon: "cross", text, mark: "expired" };
  }
  if (doc.expiring_soon || left <= EXPIRY_WARNING_DAYS) {
    return { kind: "bad", icon: "warning", text: t("doc.expiring", { date }), mark: "expiring" };
  }
  return { kind: "ok", icon: "check", text: t("doc.integrated") };
}

const badge = (state) => h("p", { class: `badge ${state.kind}` }, ...withIcon(state.icon, state.text));

// Who confirmed the document; a simulated agency (the demo's) is said so in plain words.
function agencyLine(agency) {
  if (!agency) return null;
  return h(
    "div",
    { class: "agency" },
    icon("shield"),
    h(
      "div",
      {},
      h("p", {}, t("doc.agency", { agency: inLanguage(agency) })),
      agency.simulated ? h("p", { class: "tag" }, t("doc.simulated")) : null,
    ),
  );
}

function documentItem(doc, online) {
  const state = standing(doc);
  const integrated = doc.status === "integrated";
  const classes = ["document", doc.status, state.mark || ""].join(" ").trim();
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
        h("p", { class: "doc-number" }, shownNumber(doc.masked_number)),
      ),
    ),
    badge(state),
    integrated && !state.mark
      ? h(
          "p",
          { class: "expiry" },
          ...withIcon(
            "clock",
            doc.valid_until ? t("doc.valid_until", { date: formatDate(doc.valid_until) }) : t("doc.no_expiry"),
          ),
        )
      : null,
    integrated ? agencyLine(doc.agency) : null,
    integrated && doc.verified_at
      ? h(
          "p",
          { class: "muted checked" },
          t("doc.checked", {
            date: formatDate(doc.verified_at),
            age: ago(Date.parse(doc.checked_at || doc.verified_at)),
          }),
        )
      : null,
    online && integrated ? link(`#/documents/open/${encodeURIComponent(doc.id)}`, "eye", t("doc.open"), "quiet") : null,
    online && integrated && !["revoked", "expired"].includes(state.mark) && SHOWN_AS_QR.has(doc.kind)
      ? link(`#/qr/document/${encodeURIComponent(doc.id)}/${doc.kind}`, "card", t("qr.show_document"), "quiet")
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
    const { documents } = checkedFormat(await getJSON(WALLET, { holder: true }));
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

// A key field as the agency compares it: separators (spaces, "-", ".") gone, letters in capitals.
const normalised = (value) => (value || "").replace(/[\s.-]/g, "").toUpperCase();

function follows(pattern, value) {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return true; // a pattern this browser cannot read: the server checks it anyway
  }
}

// The key fields of a kind: the number, then the others, each with its input's name and the name a
// 422 invalid_key_fields gives it.
const keyFields = (kind) => [
  { spec: kind.number, input: "number", wire: "number" },
  ...kind.fields.map((spec) => ({ spec, input: `field:${spec.name}`, wire: `fields.${spec.name}` })),
];

// ``child``: the account id of a child of the parent's, whose document the parent adds (the same
// key fields; the agency is asked about the child's ID number).
async function add(view, child = null) {
  const ticket = screenTicket();
  if (!(await session())) return go("login");
  let offered;
  try {
    offered = checkedFormat(await getJSON(`${WALLET}/kinds`, { holder: true })).kinds;
  } catch (error) {
    if (!(error instanceof SessionEnded) && stillOn(ticket))
      screen(
        view,
        t("doc.add"),
        notice("bad", "warning", problemSentence(error)),
        link("#/documents", "back", t("menu.documents"), "quiet"),
      );
    return;
  }
  if (!stillOn(ticket)) return;
  const chosenKind = (value) => offered.find((k) => k.kind === value);
  const kind = field(t("doc.kind"), { tag: "select", name: "kind", required: true });
  kind.input.append(
    h("option", { value: "" }, t("activate.choose")),
    ...offered.map((k) => h("option", { value: k.kind }, inLanguage(k))),
  );
  const typed = h("div", { class: "key-fields" });
  kind.input.addEventListener("change", () => {
    const chosen = chosenKind(kind.input.value);
    typed.replaceChildren(
      ...(chosen
        ? [
            agencyLine(chosen.agency),
            ...keyFields(chosen).map(
              ({ spec, input }) =>
                field(
                  inLanguage(spec),
                  { name: input, autocomplete: "off", autocapitalize: "characters", maxlength: "64", required: true },
                  t("doc.example", { example: spec.example }),
                ).wrap,
            ),
          ]
        : []),
    );
  });
  const confirm = h(
    "label",
    { class: "toggle" },
    h("input", { type: "checkbox", name: "confirm", value: "yes" }),
    child ? t("doc.confirm_child") : t("doc.confirm"),
  );
  const back = child ? link("#/children", "back", t("child.title"), "quiet") : link("#/documents", "back", t("menu.documents"), "quiet");
  const target = child ? `${WALLET}/children/${encodeURIComponent(child)}/documents` : `${WALLET}/documents`;
  screen(
    view,
    child ? t("doc.add_child") : t("doc.add"),
    h("p", { class: "lead" }, child ? t("doc.add_child_intro") : t("doc.add_intro")),
    form(
      {
        check: (v) => {
          const chosen = chosenKind(v.kind);
          if (!chosen) return t("check.kind");
          for (const { spec, input } of keyFields(chosen)) {
            const value = normalised(v[input]);
            if (!value) return t("check.key_field_missing", { field: inLanguage(spec) });
            if (!follows(spec.pattern, value))
              return t("check.key_field", { field: inLanguage(spec), example: spec.example });
          }
          return v.confirm ? null : t("check.confirm");
        },
        explain: (error) => {
          // 422 invalid_key_fields names the field ("number", "fields.class"), never its value.
          const chosen = chosenKind(kind.input.value);
          if (!(error instanceof Problem) || error.code !== "invalid_key_fields" || !chosen) return null;
          const named = keyFields(chosen).find(({ wire }) => wire === error.body.field);
          return named ? t("check.key_field", { field: inLanguage(named.spec), example: named.spec.example }) : null;
        },
        work: async (v) => {
          const chosen = chosenKind(v.kind);
          const fields = Object.fromEntries(chosen.fields.map((spec) => [spec.name, v[`field:${spec.name}`]]));
          const added = await postJSON(target, { kind: v.kind, number: v.number, fields }, { holder: true });
          if (added.status === "integrated") addedNotice(view, "ok", "check", t("doc.added_integrated"), child);
          else addedNotice(view, "warn", "clock", t("doc.added_pending"), child);
        },
      },
      kind.wrap,
      typed,
      confirm,
      submit("plus", t("doc.add_submit")),
    ),
    back,
  );
}

function addedNotice(view, kind, iconName, sentence, child = null) {
  screen(
    view,
    child ? t("doc.add_child") : t("doc.add"),
    notice(kind, iconName, sentence),
    child
      ? link("#/children", "person", t("child.title"), "big primary")
      : link("#/documents", "documents", t("menu.documents"), "big primary"),
    child ? null : link("#/documents/add", "plus", t("doc.add_another"), "quiet"),
  );
}

// A fact in words: dates as dates, lists joined, kinds of thing named.
function factValue(name, value) {
  if (Array.isArray(value)) return value.join(", ");
  if (DATE_FACTS.has(name)) return formatDate(value);
  if (WORDED_FACTS.has(name)) return label(name, value);
  return String(value);
}

function detailRows(details) {
  const row = (term, value) => [h("dt", {}, term), h("dd", {}, value)];
  const keyNames = new Set(Object.keys(details.fields));
  const facts = Object.entries(details.facts || {}).filter(
    // Facts that repeat what was typed (a registration's plate is its number) are said once.
    ([name, value]) => value !== null && !keyNames.has(name) && value !== details.number,
  );
  return [
    Object.entries(details.fields).map(([name, value]) => row(label("doc_field", name), value)),
    facts.map(([name, value]) => row(label("doc_field", name), factValue(name, value))),
    details.verified_at ? row(t("doc_field.verified_at"), formatDate(details.verified_at)) : null,
    details.checked_at ? row(t("doc_field.checked_at"), ago(Date.parse(details.checked_at))) : null,
  ];
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
        const state = standing(details);
        shown.replaceChildren(
          h(
            "section",
            { class: `document opened ${details.status} ${state.mark || ""}`.trim() },
            h(
              "div",
              { class: "doc-head" },
              icon(KIND_ICONS[details.kind] || "documents"),
              h("h2", {}, label("kind", details.kind)),
            ),
            h("p", { class: "id-number" }, h("span", { class: "id-label" }, t("doc_field.number")), details.number),
            badge(state),
            agencyLine(details.agency),
            h("dl", { class: "facts" }, detailRows(details)),
          ),
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
  if (action === "add") return add(view, id ? decodeURIComponent(id) : null);
  if (action === "open" && id) return open(view, decodeURIComponent(id));
  return list(view);
}
