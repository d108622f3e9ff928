// The app's device key as the second factor of the provider's sign-in (RFC 8176 amr "hwk").
//
// When this browser is the phone the account is bound to (the citizen app at /app keeps its non-extractable
// key in IndexedDB on this origin, with the ID number of its holder), the sign-in form goes to
// /idp/login/device with a proof answering a fresh single-use challenge: level 2 with no SMS. Otherwise,
// or if anything fails, the form goes as it is: the password, then the SMS code.

import { proveDevice } from "/app/static/js/api.js";
import { deviceKey } from "/app/static/js/devicekey.js";
import { holder } from "/app/static/js/store.js";

const form = document.getElementById("idp-login-form");
const [key, owner] = await Promise.all([deviceKey().catch(() => null), holder().catch(() => null)]);

if (form && key && owner) {
  const note = document.getElementById("device-note");
  if (note) note.hidden = false;
  form.addEventListener("submit", async (event) => {
    if (form.dataset.sent) return;
    event.preventDefault();
    const idNumber = form.elements.id_number.value.trim();
    if (idNumber === owner.id_number) {
      try {
        form.elements.device_proof.value = await proveDevice("login", idNumber);
        form.action = "/idp/login/device";
      } catch {
        form.elements.device_proof.value = ""; // no proof: the password, then the SMS code
      }
    }
    form.dataset.sent = "1";
    form.submit();
  });
}
