// Showing a QR to someone who checks it (issue 14, decision 0041, docs/formats/qr-v1.md): the e-ID card
// (MOSIP Claim 169) with the fields the citizen chooses, valid one minute and bound to this phone's key,
// made again on screen while it is shown; "over 18" and nothing else; an integrated document or "health
// insurance valid", behind the passcode. The server signs (POST /me/credentials/qr); whoever checks needs
// no signal, only the trust bundle. Without signal the QR on screen keeps working until its time is up,
// and the screen says until when.

import { Offline, SessionEnded, postJSON } from "../api.js";
import { label, problemSentence, t } from "../i18n.js";
import { go, screenTicket, setBanner, stillOn } from "../nav.js";
import { copy, session } from "../store.js";
import { form, h, link, notice, passcodeField, screen, submit, withIcon } from "../ui.js";

const QR = "/me/credentials/qr";
const QR_FORMAT = "qr-v1";
const EID_FIELDS = ["full_name", "photo", "date_of_birth", "sex", "id_number"];
const SHOWABLE = new Set(["driving_licence", "health_insurance", "vehicle_registration"]);
const REMAKE_BEFORE_MS = 10000; // a fresh e-ID QR this long before the one shown expires
const RETRY_MS = 5000; // without signal, how often to try again
let qrUrl = null;

// The QR's picture: the server's SVG shown as an image (a blob: URL), never put into the page as markup.
function picture(answer) {
  if (qrUrl) URL.revokeObjectURL(qrUrl);
  qrUrl = URL.createObjectURL(new Blob([answer.svg], { type: "image/svg+xml" }));
  return h("img", { class: "qr", src: qrUrl, alt: t("qr.picture", { what: label("qr.profile", answer.profile) }) });
}

const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const secondsLeft = (iso) => Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));

function shown(answer) {
  const fields = answer.fields.map((name) => label("qr.field", name)).join(", ");
  const left = h("p", { class: "qr-left", "aria-live": "off" });
  const tick = () => {
    const seconds = secondsLeft(answer.expires_at);
    left.replaceChildren(
      ...withIcon("clock", seconds > 0 ? t("qr.left", { seconds, time: clock(answer.expires_at) }) : t("qr.expired")),
    );
    left.classList.toggle("stale", seconds === 0);
    return seconds;
  };
  tick();
  const section = h(
    "section",
    { class: "qr-shown", "aria-label": label("qr.profile", answer.profile) },
    h("h2", {}, label("qr.profile", answer.profile)),
    picture(answer),
    left,
    h("p", { class: "muted" }, t("qr.fields", { fields })),
    h("p", { class: "muted" }, t("qr.offline_check")),
  );
  return { section, tick };
}

// The e-ID QR stays on screen, remade before it expires; without signal the current one stays until
// its minute is up, then the screen says it expired and tries again every few seconds.
async function keepShowing(view, ticket, body) {
  const place = h("div", { "aria-live": "polite" });
  screen(view, t("qr.eid_title"), place, link("#/qr", "back", t("qr.title"), "quiet"));
  let current = null;
  while (stillOn(ticket)) {
    if (!current || secondsLeft(current.expires_at) * 1000 <= REMAKE_BEFORE_MS) {
      try {
        current = await postJSON(QR, body, { holder: true });
        if (current.format !== QR_FORMAT) throw new Error("unknown format");
        setBanner(null);
      } catch (error) {
        if (error instanceof SessionEnded || !stillOn(ticket)) return;
        if (!(error instanceof Offline)) {
          place.replaceChildren(notice("bad", "warning", problemSentence(error)));
          return;
        }
        setBanner(current ? t("qr.offline_until", { time: clock(current.expires_at) }) : t("problem.offline"));
      }
    }
    if (current && stillOn(ticket)) {
      const drawn = shown(current);
      place.replaceChildren(drawn.section);
      await ticking(ticket, drawn.tick);
    } else {
      await wait(RETRY_MS);
    }
  }
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Count the seconds down until it is time to remake the QR (or, offline, to try again).
async function ticking(ticket, tick) {
  while (stillOn(ticket)) {
    const seconds = tick();
    if (seconds * 1000 <= REMAKE_BEFORE_MS) return;
    await wait(1000);
  }
}

function eidForm(view) {
  const boxes = EID_FIELDS.map((name) =>
    h(
      "label",
      { class: "toggle" },
      h("input", { type: "checkbox", name: "fields", value: name, checked: true }),
      label("qr.field", name),
    ),
  );
  const chooser = form(
    {
      check: () => (boxes.some((b) => b.firstChild.checked) ? null : t("qr.choose_one")),
      work: async () => {
        const fields = boxes.filter((b) => b.firstChild.checked).map((b) => b.firstChild.value);
        await keepShowing(view, screenTicket(), { profile: "eid", fields });
      },
    },
    h("fieldset", {}, h("legend", {}, t("qr.eid_choose")), boxes),
    submit("card", t("qr.show_eid")),
  );
  return h("section", { class: "qr-choice" }, h("h2", {}, t("qr.eid_title")), chooser);
}

function oneQr(view, title, body, withPasscode) {
  const ticket = screenTicket();
  const place = h("div", { "aria-live": "polite" });
  const passcode = withPasscode ? passcodeField() : null;
  const asker = form(
    {
      check: (v) => (withPasscode && !/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null),
      work: async (v) => {
        const answer = await postJSON(QR, withPasscode ? { ...body, passcode: v.passcode } : body, { holder: true });
        if (!stillOn(ticket)) return;
        asker.hidden = true;
        const drawn = shown(answer);
        place.replaceChildren(drawn.section);
        ticking(ticket, drawn.tick);
      },
    },
    passcode ? passcode.wrap : null,
    submit("eye", t("qr.show")),
  );
  screen(view, title, withPasscode ? h("p", { class: "lead" }, t("qr.passcode_intro")) : null, asker, place);
  view.append(link("#/qr", "back", t("qr.title"), "quiet"));
  if (passcode) passcode.input.focus();
  else asker.requestSubmit();
}

async function choices(view) {
  if (!(await session())) return go("login");
  const saved = await copy("documents");
  const documents = (saved ? saved.data : []).filter((d) => d.status === "integrated" && !d.revoked && !d.expired);
  const documentLinks = documents
    .filter((d) => SHOWABLE.has(d.kind))
    .map((d) => link(`#/qr/document/${encodeURIComponent(d.id)}/${d.kind}`, "documents", label("kind", d.kind)));
  const insurance = documents.find((d) => d.kind === "health_insurance");
  screen(
    view,
    t("qr.title"),
    h("p", { class: "lead" }, t("qr.intro")),
    eidForm(view),
    h(
      "section",
      { class: "qr-choice" },
      h("h2", {}, t("qr.less_title")),
      link("#/qr/over18", "check", t("qr.show_over18")),
      insurance
        ? link(`#/qr/document/${encodeURIComponent(insurance.id)}/health_insurance_valid`, "health", t("qr.show_insured"))
        : null,
    ),
    documentLinks.length
      ? h("section", { class: "qr-choice" }, h("h2", {}, t("qr.documents_title")), documentLinks)
      : h("p", { class: "muted" }, t("qr.no_documents")),
    link("#/", "back", t("common.home"), "quiet"),
  );
}

export async function show(view, [what, id, profile] = []) {
  if (what === "over18") {
    if (!(await session())) return go("login");
    return oneQr(view, label("qr.profile", "age_over_18"), { profile: "age_over_18" }, false);
  }
  if (what === "document" && id && profile) {
    if (!(await session())) return go("login");
    const body = { profile, document_id: decodeURIComponent(id) };
    return oneQr(view, label("qr.profile", profile), body, true);
  }
  return choices(view);
}
