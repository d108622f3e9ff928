// A level-2 parent's children (DOMAIN.md: under 14, level 1, on the parent's phone): each child's account,
// what is coming (at 14 the account must move to the child's own phone and level 2; the app says so three
// months ahead), and adding a child by ID number — the registry's guardian link decides who may.

import { getJSON, postJSON } from "../api.js";
import { formatDate, label, t } from "../i18n.js";
import { digits, field, form, h, idNumberField, link, notice, showLoaded, submit } from "../ui.js";

// A chosen file as base64, for the JSON API.
function asBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// Under 6: the parent asks for the child's card here, with a portrait and a confirmation (no fingerprints).
function cardRequest(child) {
  const photo = field(t("child.card_photo"), { name: "photo", type: "file", accept: "image/*", required: true });
  const confirm = h("input", { type: "checkbox", name: "confirmed", value: "yes", id: `confirm-${child.account_id}` });
  return form(
    {
      check: () => (!photo.input.files[0] ? t("child.card_check_photo") : !confirm.checked ? t("child.card_check_confirm") : null),
      explain: (problem) => (problem.code === "child_refused" ? t(`child.refused.${problem.body.reason}`) : null),
      work: async () => {
        await postJSON(
          "/api/v1/enrollment/child-cards",
          { child_account_id: child.account_id, portrait_base64: await asBase64(photo.input.files[0]), confirmed: true },
          { holder: true },
        );
        photo.wrap.closest("form").replaceWith(notice("ok", "check", t("child.card_requested")));
      },
    },
    photo.wrap,
    h("p", {}, h("label", { for: `confirm-${child.account_id}` }, confirm, " ", t("child.card_confirm"))),
    submit("card", t("child.card_request")),
  );
}

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
    child.card_by_request ? cardRequest(child) : null,
    documentsOf(child),
  );
}

// The child's documents (health insurance, the card), read on request: a read of the child's record.
function documentsOf(child) {
  const list = h("ul", { class: "child-documents" });
  const open = h("button", { type: "button", class: "button quiet" }, t("child.documents"));
  open.addEventListener("click", async () => {
    open.disabled = true;
    try {
      const wallet = await getJSON(`/api/v1/accounts/me/wallet/children/${child.account_id}`, { holder: true });
      list.replaceChildren(
        ...(wallet.documents.length
          ? wallet.documents.map((d) => h("li", {}, `${label("kind", d.kind)} · ${d.masked_number} · ${label("doc", d.status)}`))
          : [h("li", { class: "muted" }, t("child.no_documents"))]),
      );
    } finally {
      open.disabled = false;
    }
  });
  const add = link(`#/documents/add/${encodeURIComponent(child.account_id)}`, "plus", t("child.add_document"), "quiet");
  return h("div", {}, open, list, add);
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
