// Sign a PDF: choose the file, review it (name, size, pages, title, its SHA-256: the app's CSP forbids showing a
// PDF in the page, and it carries no PDF renderer), confirm with the passcode, download the signed copy. The document goes to the server only to be
// signed; the server keeps its hash in the signing history, never the document.

import { postBytes } from "../api.js";
import { t } from "../i18n.js";
import { go } from "../nav.js";
import { session } from "../store.js";
import { field, form, h, link, notice, passcodeField, screen, submit, withIcon } from "../ui.js";
import { pdfFacts } from "./pdffile.js";

const MAX_BYTES = 20 * 1024 * 1024;

function review(view, file, bytes, facts) {
  const passcode = passcodeField();
  const result = h("div", {});
  screen(
    view,
    t("sign.review"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("sign.file")),
      h("dd", {}, file.name),
      h("dt", {}, t("sign.size")),
      h("dd", {}, t("sign.kb", { kb: Math.ceil(bytes.byteLength / 1024) })),
      h("dt", {}, t("sign.pages")),
      h("dd", {}, facts.pages || "—"),
      facts.title ? [h("dt", {}, t("sign.title_field")), h("dd", {}, facts.title)] : null,
      h("dt", {}, "SHA-256"),
      h("dd", { class: "hash" }, facts.sha256),
    ),
    h("p", { class: "muted" }, t("sign.no_preview")),
    notice("warn", "info", t("sign.explain")),
    form(
      {
        check: (v) => (!/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null),
        work: async (v) => {
          const response = await postBytes("/api/v1/signing/me/sign", bytes, "application/pdf", {
            holder: true,
            extra: { "CivicID-Passcode": v.passcode },
          });
          const signed = await response.blob();
          const name = file.name.replace(/\.pdf$/i, "") + "-signed.pdf";
          result.replaceChildren(
            notice("ok", "check", t("sign.done")),
            h("a", { class: "button big primary", href: URL.createObjectURL(signed), download: name }, ...withIcon("documents", t("sign.download"))),
          );
        },
      },
      passcode.wrap,
      submit("key", t("sign.submit")),
    ),
    result,
    link("#/sign", "back", t("sign.another"), "quiet"),
  );
}

export async function show(view) {
  if (!(await session())) return go("login");
  const chooser = field(t("sign.choose"), { name: "document", type: "file", accept: "application/pdf,.pdf", required: true });
  screen(
    view,
    t("menu.sign_pdf"),
    h("p", { class: "lead" }, t("sign.intro")),
    form(
      {
        check: () => {
          const file = chooser.input.files[0];
          if (!file) return t("sign.check_file");
          return file.size > MAX_BYTES ? t("sign.too_large") : null;
        },
        work: async () => {
          const file = chooser.input.files[0];
          const bytes = await file.arrayBuffer();
          const facts = await pdfFacts(bytes);
          if (!facts.pdf) throw new Error(t("sign.not_pdf"));
          review(view, file, bytes, facts);
        },
        explain: (error) => (error instanceof Error && error.message === t("sign.not_pdf") ? error.message : null),
      },
      chooser.wrap,
      submit("documents", t("sign.next")),
    ),
    link("#/signature", "back", t("common.back"), "quiet"),
  );
}
