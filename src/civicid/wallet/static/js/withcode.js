// What a person does without being logged in, from any phone (unlocking, "I lost my phone", moving the
// account to this phone), starts the same way: the ID number and the password, for which the server
// sends a code by SMS to the account's phone number; then the code, with whatever else the step needs.

import { postJSON } from "./api.js";
import { t } from "./i18n.js";
import { holder } from "./store.js";
import {
  button,
  checkCredentials,
  codeField,
  digits,
  form,
  h,
  idNumberField,
  notice,
  passwordField,
  screen,
  submit,
} from "./ui.js";

// ``codePath``: where the ID number and password ask for the code (POST /…/code).
// ``fields()``: more fields for the code's page (a passcode); ``check(values)`` refuses before sending.
// ``finish(body, values)``: the last step, with body = {id_number, password, code}.
// ``action``: [icon, words] of the last button; ``links``: shown under both pages.
export async function withCode(view, options) {
  const { title, intro, note = null, codePath, codeIntro = null, action, finish, links = [] } = options;
  const { fields = () => [], check = () => null } = options;
  const known = await holder();
  const state = {};

  function credentials() {
    const idNumber = idNumberField(state.id_number || (known ? known.id_number : ""));
    const password = passwordField();
    screen(
      view,
      title,
      note ? notice("warn", "info", note) : null,
      h("p", { class: "lead" }, intro),
      form(
        {
          check: checkCredentials,
          work: async (v) => {
            state.id_number = digits(v.id_number);
            state.password = v.password;
            await postJSON(codePath, state);
            code();
          },
        },
        idNumber.wrap,
        password.wrap,
        submit("sms", t("activate.send_code")),
      ),
      links,
    );
  }

  function code() {
    const sms = codeField();
    const more = fields();
    const again = button("back", t("activate.start_again"), { class: "button quiet" });
    again.addEventListener("click", credentials);
    screen(
      view,
      title,
      notice("ok", "sms", t("activate.code_sent")),
      codeIntro ? h("p", { class: "lead" }, codeIntro) : null,
      form(
        {
          check: (v) => (digits(v.code).length !== 6 ? t("check.code") : check(v)),
          work: (v) => finish({ ...state, code: digits(v.code) }, v),
        },
        sms.wrap,
        more.map((f) => f.wrap),
        submit(...action),
        again,
      ),
      links,
    );
    sms.input.focus();
  }

  credentials();
}
