// "I lost my phone", from any browser and without logging in: the ID number and password, then the code
// sent by SMS to the account's number (a new SIM with the same number receives it). The account locks,
// the lost phone is unlinked and its sessions end; to use the account again the holder unlocks it, then
// moves it to the new phone (move.js).

import { postJSON } from "../api.js";
import { t } from "../i18n.js";
import { h, link, notice, screen } from "../ui.js";
import { withCode } from "../withcode.js";

export async function show(view) {
  await withCode(view, {
    title: t("menu.lost"),
    intro: t("lost.intro"),
    codePath: "/lost-phone/code",
    codeIntro: t("lost.code_intro"),
    action: ["lock", t("lost.submit")],
    finish: async (body) => {
      await postJSON("/lost-phone/lock", body);
      screen(
        view,
        t("menu.lost"),
        notice("ok", "lock", t("lost.done")),
        h("p", { class: "lead" }, t("lost.next")),
        h(
          "nav",
          { class: "menu" },
          link("#/unlock", "unlock", t("unlock.title")),
          link("#/move", "phone", t("menu.move")),
        ),
      );
    },
    links: [link("#/", "back", t("common.back"), "quiet")],
  });
}
