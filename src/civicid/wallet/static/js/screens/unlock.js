// Unlocking one's own lock, without logging in (a locked account cannot): ID number and password →
// an SMS code → the code and the passcode. A lock placed by the police or the registry stays.

import { postJSON } from "../api.js";
import { deviceKey } from "../devicekey.js";
import { groundsInWords, t } from "../i18n.js";
import { go, takeNote } from "../nav.js";
import { link, notice, passcodeField, screen } from "../ui.js";
import { withCode } from "../withcode.js";

export async function show(view) {
  await withCode(view, {
    title: t("unlock.title"),
    intro: t("unlock.intro"),
    note: takeNote(),
    codePath: "/unlock/code",
    fields: () => [passcodeField()],
    check: (v) => (!/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null),
    action: ["unlock", t("unlock.submit")],
    finish: async (body, v) => {
      const done = await postJSON("/unlock", { ...body, passcode: v.passcode });
      // A phone that holds no key (a new one, after "I lost my phone") is linked by moving the account to it.
      if (done.status === "active") return go("login", t((await deviceKey()) ? "unlock.done" : "unlock.done_move"));
      screen(
        view,
        t("unlock.title"),
        notice("warn", "lock", t("unlock.still_locked", { grounds: groundsInWords(done.grounds) })),
        link("#/login", "back", t("login.title"), "quiet"),
      );
    },
    links: [link("#/login", "back", t("login.title"), "quiet")],
  });
}
