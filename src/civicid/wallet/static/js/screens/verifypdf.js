// Verify any signed PDF: each signature's signer and ID number, when it was signed (the time stamp), whether
// the document is unchanged, whether the certificate is trusted, and its status (good, suspended, revoked).
// Anyone may check a document; no login is needed.

import { postBytes } from "../api.js";
import { formatDateTime, label, t } from "../i18n.js";
import { field, form, h, icon, link, notice, screen, submit, withIcon } from "../ui.js";

const MAX_BYTES = 20 * 1024 * 1024;

const yesNo = (ok, yes, no) => h("p", { class: `badge ${ok ? "ok" : "bad"}` }, ...withIcon(ok ? "check" : "cross", ok ? yes : no));

function signature(s) {
  return h(
    "li",
    { class: "event" },
    icon(s.ok ? "check" : "warning"),
    h(
      "div",
      {},
    h("p", { class: "what" }, s.ok ? t("verify_pdf.valid") : t("verify_pdf.not_valid")),
    h("p", {}, t("verify_pdf.signer", { name: s.signer || "—", id: (s.signer_id || "—").replace(/^IDCVN-/, "") })),
    h("p", { class: "muted" }, t("verify_pdf.signed_at", { date: s.signed_at ? formatDateTime(s.signed_at) : "—" })),
    yesNo(s.intact && !s.changed_after, t("verify_pdf.intact"), t("verify_pdf.modified")),
    yesNo(s.trusted, t("verify_pdf.trusted"), t("verify_pdf.untrusted")),
    h("p", {}, t("verify_pdf.status", { status: label("verify_pdf.certificate", s.certificate_status) })),
    h("p", { class: "muted" }, t("verify_pdf.level", { level: s.level })),
    ),
  );
}

export async function show(view) {
  const chooser = field(t("sign.choose"), { name: "document", type: "file", accept: "application/pdf,.pdf", required: true });
  const result = h("div", { "aria-live": "polite" });
  screen(
    view,
    t("menu.verify_pdf"),
    h("p", { class: "lead" }, t("verify_pdf.intro")),
    form(
      {
        check: () => {
          const file = chooser.input.files[0];
          if (!file) return t("sign.check_file");
          return file.size > MAX_BYTES ? t("sign.too_large") : null;
        },
        work: async () => {
          const bytes = await chooser.input.files[0].arrayBuffer();
          const response = await postBytes("/api/v1/signing/verify", bytes, "application/pdf");
          const report = await response.json();
          result.replaceChildren(
            report.signatures.length
              ? h("ol", { class: "events" }, report.signatures.map(signature))
              : notice("warn", "info", t("verify_pdf.unsigned")),
          );
        },
      },
      chooser.wrap,
      submit("check", t("verify_pdf.submit")),
    ),
    result,
    link("#/", "back", t("common.home"), "quiet"),
  );
}
