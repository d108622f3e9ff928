// Security: the phones the account was linked to and its locking history (screens of their own), log out
// on every phone, or lock the account (both confirmed with the passcode). Unlocking, "I lost my phone"
// and moving to another phone are screens of their own too, reachable without logging in.

import { postJSON } from "../api.js";
import { t } from "../i18n.js";
import { go } from "../nav.js";
import { forgetSession, session } from "../store.js";
import { form, h, link, notice, passcodeField, screen, submit } from "../ui.js";

function confirmed(view, { title, explain, action, iconName, path, done }) {
  const passcode = passcodeField();
  screen(
    view,
    title,
    notice("warn", "info", explain),
    form(
      {
        check: (v) => (!/^\d{6}$/.test(v.passcode) ? t("check.passcode") : null),
        work: async (v) => {
          await postJSON(path, { passcode: v.passcode }, { holder: true });
          await forgetSession();
          await done();
        },
      },
      passcode.wrap,
      submit(iconName, action),
    ),
    link("#/security", "back", t("common.back"), "quiet"),
  );
  passcode.input.focus();
}

export async function show(view, [action] = []) {
  if (!(await session())) return go("login");
  if (action === "lock") {
    return confirmed(view, {
      title: t("lock.title"),
      explain: t("lock.explain"),
      action: t("lock.submit"),
      iconName: "lock",
      path: "/me/lock",
      done: () => go("unlock", t("lock.done")),
    });
  }
  if (action === "everywhere") {
    return confirmed(view, {
      title: t("everywhere.title"),
      explain: t("everywhere.explain"),
      action: t("everywhere.submit"),
      iconName: "logout",
      path: "/me/logout-everywhere",
      done: () => go("login", t("everywhere.done")),
    });
  }
  screen(
    view,
    t("menu.security"),
    h(
      "nav",
      { class: "menu" },
      link("#/devices", "phone", t("menu.devices")),
      link("#/locks", "history", t("menu.locks")),
      link("#/security/everywhere", "logout", t("everywhere.title")),
      link("#/security/lock", "lock", t("lock.title"), "big danger"),
    ),
    link("#/", "back", t("common.home"), "quiet"),
  );
}
