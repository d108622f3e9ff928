// The phones the account was linked to (GET /me/devices): the one linked now first, then those before
// it, each with the day it was linked. The account works on one phone at a time; moving it to another
// is done on that phone (move.js).

import { formatDateTime, t } from "../i18n.js";
import { go } from "../nav.js";
import { session } from "../store.js";
import { h, icon, link, screen, showLoaded, withIcon } from "../ui.js";

// A device id is the key's RFC 7638 thumbprint; its first characters tell phones apart at a glance.
const SHOWN_ID = 8;

function item(device, thisPhone) {
  const here = device.device_id === thisPhone;
  const name = here ? "devices.this_phone" : device.current ? "devices.other_phone" : "devices.earlier_phone";
  return h(
    "li",
    { class: `event device${device.current ? " current" : ""}` },
    icon("phone"),
    h(
      "div",
      {},
      h("p", { class: "what" }, t(name)),
      h(
        "p",
        { class: `badge ${device.current ? "ok" : "warn"}` },
        ...withIcon(device.current ? "check" : "cross", t(device.current ? "devices.linked_now" : "devices.unlinked")),
      ),
      h("p", { class: "muted" }, t("devices.bound_at", { date: formatDateTime(device.bound_at) })),
      h("p", { class: "muted" }, t("devices.code", { code: device.device_id.slice(0, SHOWN_ID) })),
    ),
  );
}

export async function show(view) {
  const current = await session();
  if (!current) return go("login");
  const back = link("#/security", "back", t("common.back"), "quiet");
  await showLoaded(view, {
    title: t("menu.devices"),
    path: "/me/devices",
    back,
    draw: (devices) =>
      screen(
        view,
        t("menu.devices"),
        h("p", { class: "lead" }, t("devices.intro")),
        h(
          "ul",
          { class: "events devices" },
          devices.map((device) => item(device, current.device_id)),
        ),
        h("p", { class: "muted" }, t("devices.move_hint")),
        back,
      ),
  });
}
