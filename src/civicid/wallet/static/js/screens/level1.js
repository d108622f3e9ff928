// Level 1 on the phone (Decree 69/2024): ID number, own phone number, a selfie and a photo of the card's QR.
// The server matches the selfie against the registry's portrait and checks the QR against the registry,
// and answers at once: the account is opened and its activation code sent by SMS (the app goes on with
// activation), or it says why not (no face, not the same person, card not matching, an account already).

import { getJSON, postJSON } from "../api.js";
import { t } from "../i18n.js";
import { digits, field, form, h, idNumberField, link, notice, screen, submit } from "../ui.js";
import * as activate from "./activate.js";

const MAX_SELFIE = 2 * 1024 * 1024;
const MAX_CARD = 4 * 1024 * 1024;

// A chosen file as base64 (the API takes images in JSON, like the rest of the holder's calls).
function asBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export async function show(view) {
  let info = { simulated: false, max_attempts_per_day: 5 };
  try {
    info = await getJSON("/level1");
  } catch {
    // Without signal the form still shows; sending it says there is none.
  }
  const idNumber = idNumberField();
  const phone = field(
    t("field.phone"),
    { name: "phone", type: "tel", inputmode: "tel", autocomplete: "tel", maxlength: "15", required: true },
    t("level1.phone_hint"),
  );
  const selfie = field(
    t("level1.selfie"),
    { name: "selfie", type: "file", accept: "image/*", capture: "user", required: true },
    t("level1.selfie_hint"),
  );
  const card = field(
    t("level1.card"),
    { name: "card", type: "file", accept: "image/*", capture: "environment", required: true },
    t("level1.card_hint"),
  );
  const state = {};
  screen(
    view,
    t("level1.title"),
    h("p", { class: "lead" }, t("level1.intro")),
    info.simulated ? notice("warn", "info", t("level1.simulated")) : null,
    h("p", { class: "muted" }, t("level1.limits", { n: info.max_attempts_per_day })),
    form(
      {
        check: (v) => {
          if (digits(v.id_number).length !== 12) return t("check.id_number");
          if (digits(v.phone).length < 9) return t("check.phone");
          const s = selfie.input.files[0];
          const c = card.input.files[0];
          if (!s) return t("level1.check.selfie");
          if (!c) return t("level1.check.card");
          if (s.size > MAX_SELFIE || c.size > MAX_CARD) return t("level1.check.too_big");
          return null;
        },
        explain: (problem) =>
          problem.code === "level1_refused" ? t(`level1.refused.${problem.body.reason}`) : null,
        work: async (v) => {
          state.idNumber = digits(v.id_number);
          state.phone = digits(v.phone);
          await postJSON("/level1", {
            id_number: state.idNumber,
            phone: state.phone,
            selfie_base64: await asBase64(selfie.input.files[0]),
            card_image_base64: await asBase64(card.input.files[0]),
          });
          await activate.show(view, [], { idNumber: state.idNumber, phone: state.phone, note: t("level1.opened") });
        },
      },
      idNumber.wrap,
      phone.wrap,
      selfie.wrap,
      card.wrap,
      submit("person", t("level1.submit")),
    ),
    h("nav", { class: "menu small" }, link("/help/activate", "info", t("help.link"), "quiet"), link("#/welcome", "back", t("common.back"), "quiet")),
  );
}
