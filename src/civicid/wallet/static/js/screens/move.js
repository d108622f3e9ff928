// Moving the account to this phone (a new phone, or one whose key was lost with the browser's data):
// the ID number and password, then the code sent by SMS. This phone makes a new non-extractable WebCrypto
// key and proves it holds it, answering a fresh challenge (a "bind" device proof); the server binds it,
// unlinks the old phone and ends its sessions, and the person is logged in here. The key is kept only
// once bound: a refused try leaves the phone as it was.

import { postJSON, proveDevice } from "../api.js";
import { keepDeviceKey, newDeviceKey } from "../devicekey.js";
import { t } from "../i18n.js";
import { go } from "../nav.js";
import { link } from "../ui.js";
import { withCode } from "../withcode.js";
import { keepSession } from "./login.js";

export async function show(view) {
  await withCode(view, {
    title: t("menu.move"),
    intro: t("move.intro"),
    codePath: "/devices/code",
    codeIntro: t("move.code_intro"),
    action: ["phone", t("move.submit")],
    finish: async (body) => {
      const key = await newDeviceKey();
      const device_proof = await proveDevice("bind", body.id_number, key);
      const opened = await postJSON("/devices/bind", { ...body, device_public_jwk: key.publicJwk, device_proof });
      await keepDeviceKey(key);
      await keepSession(body.id_number, opened);
      go("", t("move.done"));
    },
    links: [link("#/", "back", t("common.back"), "quiet")],
  });
}
