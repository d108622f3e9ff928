// A level-2 parent's children (DOMAIN.md: under 14, level 1, on the parent's phone): each child's account,
// what is coming (at 14 the account must move to the child's own phone and level 2; the app says so three
// months ahead), and adding a child by ID number — the registry's guardian link decides who may.

import { postJSON } from "../api.js";
import { formatDate, t } from "../i18n.js";
import { digits, form, h, idNumberField, link, notice, showLoaded, submit } from "../ui.js";

function childCard(child) {
  return h(
    "li",
    { class: "child", "data-account": child.account_id },
    h("p", { class: "child-name" }, h("strong", {}, child.full_name), " · ", t("child.age", { n: child.age })),
    h("p", { class: "muted" }, t("child.born", { date: formatDate(child.date_of_birth) })),
    child.must_move
      ? notice("bad", "warning", t("child.must_move"))
      : child.move_soon
        ? notice("warn", "clock", t("child.move_soon", { date: formatDate(child.turns_14_on) }))
        : null,
    child.card_by_request ? h("p", { class: "muted" }, t("child.card_by_request")) : null,
  );
}

export async function show(view) {
  await showLoaded(view, {
    title: t("child.title"),
    path: "/me/children",
    back: link("#/", "back", t("common.home"), "quiet"),
    draw: (children) => {
      const idNumber = idNumberField();
      view.append(
        h("p", { class: "lead" }, t("child.intro")),
        children.length
          ? h("ul", { class: "children" }, children.map(childCard))
          : h("p", { class: "muted" }, t("child.none")),
        h("h2", {}, t("child.add_title")),
        form(
          {
            check: (v) => (digits(v.id_number).length !== 12 ? t("check.id_number") : null),
            explain: (problem) =>
              problem.code === "child_refused" ? t(`child.refused.${problem.body.reason}`) : null,
            work: async (v) => {
              const child = await postJSON("/me/children", { id_number: digits(v.id_number) }, { holder: true });
              await show(view);
              view.insertBefore(notice("ok", "check", t("child.added", { name: child.full_name })), view.children[1]);
            },
          },
          idNumber.wrap,
          submit("plus", t("child.add")),
        ),
        h("nav", { class: "menu small" }, link("/help/relative", "info", t("help.link"), "quiet"), link("#/", "back", t("common.home"), "quiet")),
      );
    },
  });
}
