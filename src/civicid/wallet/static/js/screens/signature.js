// The digital signature (/api/v1/signing/me): its state, activating it (an SMS code, then the passcode and the
// code: the key is made on the server, in its vault, and certified in the holder's name and ID number), and
// revoking it for good (passcode). A locked account's certificate shows as suspended.

import { postJSON } from "../api.js";
import { formatDate, label, t } from "../i18n.js";
import { go, takeNote } from "../nav.js";
import { session } from "../store.js";
import { button, codeField, form, h, link, notice, passcodeField, screen, showLoaded, submit } from "../ui.js";

const ME = "/api/v1/signing/me";

const simulatedNote = (state) =>
  state.simulated.includes("time_stamping_authority") ? notice("warn", "info", t("signature.simulated_tsa")) : null;

function status(state) {
  const certificate = state.certificate;
  if (!certificate) {
    return state.eligible
      ? [
          h("p", { class: "lead" }, t("signature.none")),
          link("#/signature/activate", "key", t("signature.activate"), "big primary"),
          link("#/verify-pdf", "check", t("menu.verify_pdf")),
        ]
      : [notice("warn", "info", t("signature.not_eligible")), link("#/verify-pdf", "check", t("menu.verify_pdf"))];
  }
  const active = certificate.status === "active";
  return [
    h(
      "p",
      { class: `badge ${active ? "ok" : "bad"}` },
      label("signature.status", certificate.status),
    ),
    h(
      "p",
      {},
      t("signature.subject", { name: certificate.subject_name, id: certificate.subject_id.replace(/^IDCVN-/, "") }),
    ),
    h("p", { class: "muted" }, t("signature.valid_until", { date: formatDate(certificate.not_after) })),
    active
      ? h(
          "nav",
          { class: "menu" },
          link("#/sign", "documents", t("menu.sign_pdf")),
          link("#/signing-history", "history", t("menu.signing_history")),
        )
      : notice("warn", "lock", t("signature.suspended")),
    link("#/verify-pdf", "check", t("menu.verify_pdf")),
    link("#/signature/revoke", "cross", t("signature.revoke"), "big danger"),
  ];
}

function activation(view) {
  const back = link("#/signature", "back", t("common.back"), "quiet");
  const send = button("sms", t("signature.send_code"));
  const sent = h("p", { class: "notice ok", role: "status", hidden: true }, t("signature.code_sent"));
  send.addEventListener("click", async () => {
    send.disabled = true;
    try {
      await postJSON(`${ME}/activation/code`, undefined, { holder: true });
      sent.hidden = false;
    } finally {
      send.disabled = false;
    }
  });
  const code = codeField();
  const passcode = passcodeField();
  screen(
    view,
    t("signature.activate"),
    h("p", { class: "lead" }, t("signature.activate_explain")),
    send,
    sent,
    form(
      {
        check: (v) => (!/^\d{6}$/.test(v.passcode) ? t("check.passcode") : !/^\d{6}$/.test(v.code) ? t("check.code") : null),
        work: async (v) => {
          await postJSON(`${ME}/activation`, { passcode: v.passcode, code: v.code }, { holder: true });
          go("signature", t("signature.activated"));
        },
      },
      code.wrap,
      passcode.wrap,
      submit("key", t("signature.activate")),
    ),
    back,
  );
}

function revocation(view) {
  const passcode = passcodeField();
  screen(
    view,
    t("signature.revoke"),
    notice("warn", "warning", t("signature.revoke_explain")),
    form(
      {
        check: (v) => (!/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null),
        work: async (v) => {
          await postJSON(`${ME}/revoke`, { passcode: v.passcode }, { holder: true });
          go("signature", t("signature.revoked"));
        },
      },
      passcode.wrap,
      submit("cross", t("signature.revoke")),
    ),
    link("#/signature", "back", t("common.back"), "quiet"),
  );
  passcode.input.focus();
}

export async function show(view, [action] = []) {
  if (!(await session())) return go("login");
  if (action === "activate") return activation(view);
  if (action === "revoke") return revocation(view);
  const note = takeNote();
  const back = link("#/", "back", t("common.home"), "quiet");
  await showLoaded(view, {
    title: t("menu.signature"),
    path: ME,
    back,
    draw: (state) =>
      screen(
        view,
        t("menu.signature"),
        note ? notice("ok", "check", note) : null,
        simulatedNote(state),
        status(state),
        back,
      ),
  });
}

