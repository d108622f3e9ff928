// Unlocking one's own lock, without logging in (a locked account cannot): ID number and password →
// an SMS code → the code and the passcode. A lock placed by the police or the registry stays.

import { postJSON } from "../api.js";
import { groundsInWords, t } from "../i18n.js";
import { go, takeNote } from "../nav.js";
import { holder } from "../store.js";
import {
  checkCredentials,
  codeField,
  digits,
  form,
  h,
  idNumberField,
  link,
  notice,
  passcodeField,
  passwordField,
  screen,
  submit,
} from "../ui.js";

export async function show(view) {
  const note = takeNote();
  const known = await holder();
  const state = {};

  function credentials() {
    const idNumber = idNumberField(known ? known.id_number : "");
    const password = passwordField();
    screen(
      view,
      t("unlock.title"),
      note ? notice("warn", "lock", note) : null,
      h("p", { class: "lead" }, t("unlock.intro")),
      form(
        {
          check: checkCredentials,
          work: async (v) => {
            state.id_number = digits(v.id_number);
            state.password = v.password;
            await postJSON("/unlock/code", state);
            code();
          },
        },
        idNumber.wrap,
        password.wrap,
        submit("sms", t("activate.send_code")),
      ),
      link("#/login", "back", t("login.title"), "quiet"),
    );
  }

  function code() {
    const sms = codeField();
    const passcode = passcodeField();
    screen(
      view,
      t("unlock.title"),
      notice("ok", "sms", t("activate.code_sent")),
      form(
        {
          check: (v) =>
            digits(v.code).length !== 6 ? t("check.code") : !/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null,
          work: async (v) => {
            const done = await postJSON("/unlock", { ...state, code: digits(v.code), passcode: v.passcode });
            if (done.status === "active") return go("login", t("unlock.done"));
            screen(
              view,
              t("unlock.title"),
              notice("warn", "lock", t("unlock.still_locked", { grounds: groundsInWords(done.grounds) })),
              link("#/login", "back", t("login.title"), "quiet"),
            );
          },
        },
        sms.wrap,
        passcode.wrap,
        submit("unlock", t("unlock.submit")),
      ),
    );
    sms.input.focus();
  }

  credentials();
}
