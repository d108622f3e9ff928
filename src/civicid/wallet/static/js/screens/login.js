// Logging in: ID number and password, from the phone the account is bound to (its device proof).

import { postJSON, proveDevice } from "../api.js";
import { deviceKey } from "../devicekey.js";
import { ago, t } from "../i18n.js";
import { go, takeNote } from "../nav.js";
import { copy, holder, saveHolder, saveSession } from "../store.js";
import {
  checkCredentials,
  digits,
  form,
  h,
  idNumberField,
  link,
  notice,
  passwordField,
  screen,
  submit,
} from "../ui.js";

// Keep a session the server opened (a login, or binding this phone) for the holder of ``idNumber``.
export async function keepSession(idNumber, opened) {
  await saveHolder(idNumber);
  await saveSession({
    token: opened.token,
    device_id: opened.device_id,
    account_id: opened.account_id,
    expires_at: opened.expires_at,
  });
}

// Log in and keep the session; used after activation too.
export async function logIn(idNumber, password) {
  const device_proof = await proveDevice("login", idNumber);
  await keepSession(idNumber, await postJSON("/login", { id_number: idNumber, password, device_proof }));
}

export async function show(view) {
  const note = takeNote();
  if (!(await deviceKey())) return go("welcome", note);
  const known = await holder();
  const saved = await copy("card");
  const idNumber = idNumberField(known ? known.id_number : "");
  const password = passwordField();
  screen(
    view,
    t("login.title"),
    note ? notice("warn", "info", note) : null,
    form(
      {
        check: checkCredentials,
        work: async (values) => {
          await logIn(digits(values.id_number), values.password);
          go("");
        },
      },
      idNumber.wrap,
      password.wrap,
      submit("login", t("login.submit")),
    ),
    saved ? link("#/saved", "card", t("login.saved_card", { age: ago(saved.saved_at) }), "quiet") : null,
    h(
      "nav",
      { class: "menu small" },
      link("#/move", "phone", t("menu.move"), "quiet"),
      link("#/lost", "warning", t("menu.lost"), "quiet"),
      link("#/unlock", "unlock", t("unlock.title"), "quiet"),
      link("#/activate", "key", t("welcome.activate"), "quiet"),
    ),
  );
  (known ? password.input : idNumber.input).focus();
}
