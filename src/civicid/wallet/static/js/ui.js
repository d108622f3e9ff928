// Small DOM helpers the screens share: elements built node by node (never parsed from strings), icons next to
// words, forms that show one readable sentence when something goes wrong, and the passcode field.

import { SessionEnded, getJSON } from "./api.js";
import { problemSentence, t } from "./i18n.js";
import { screenTicket, stillOn } from "./nav.js";

const SVG = "http://www.w3.org/2000/svg";
const SPRITE = "/app/static/icons.svg";

// h("p", {class: "muted", on: {click}}, "text", child, [more], null)
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === "class") {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function icon(name, extraClass = "") {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", `icon ${extraClass}`.trim());
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `${SPRITE}#${name}`);
  svg.append(use);
  return svg;
}

// An icon and its words, side by side: how every action and status is shown.
export const withIcon = (name, text) => [icon(name), h("span", {}, text)];

// Draw a screen: its title first, then its content; the title takes the focus (screen readers).
export function screen(view, title, ...content) {
  const heading = h("h1", { tabindex: "-1" }, title);
  view.replaceChildren(heading, ...content.flat(Infinity).filter(Boolean));
  heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  return heading;
}

// A holder's screen that shows what one GET answers: "Opening…" first, then ``draw(answer)``, or the
// refusal in words above ``back``. It is drawn only if the person is still on the screen.
export async function showLoaded(view, { title, path, draw, back }) {
  const ticket = screenTicket();
  screen(view, title, h("p", { class: "loading" }, t("loading")));
  try {
    const answer = await getJSON(path, { holder: true });
    if (stillOn(ticket)) await draw(answer);
  } catch (error) {
    if (!(error instanceof SessionEnded) && stillOn(ticket))
      screen(view, title, notice("bad", "warning", problemSentence(error)), back);
  }
}

export const notice = (kind, iconName, text) =>
  h("p", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, ...withIcon(iconName, text));

export const link = (href, iconName, text, kind = "big") =>
  h("a", { class: `button ${kind}`, href }, ...withIcon(iconName, text));

export const button = (iconName, text, attrs = {}) =>
  h("button", { type: "button", class: "button big", ...attrs }, ...withIcon(iconName, text));

export const submit = (iconName, text) =>
  h("button", { type: "submit", class: "button big primary" }, ...withIcon(iconName, text));

// A labelled input; ``hint`` is read with it (aria-describedby).
let fieldCount = 0;
export function field(labelText, attrs, hint = null) {
  const id = `f${++fieldCount}`;
  const hintId = hint ? `${id}-hint` : null;
  const input = h(attrs.tag || "input", { id, "aria-describedby": hintId, ...attrs, tag: null });
  const wrap = h(
    "div",
    { class: "field" },
    h("label", { for: id }, labelText),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    input,
  );
  return { wrap, input };
}

export const idNumberField = (value = "") =>
  field(
    t("field.id_number"),
    {
      name: "id_number",
      inputmode: "numeric",
      autocomplete: "username",
      maxlength: "12",
      pattern: "[0-9]{12}",
      required: true,
      value,
    },
    t("field.id_number_hint"),
  );

export const passwordField = (autocomplete = "current-password", name = "password") =>
  field(t("field.password"), { name, type: "password", autocomplete, maxlength: "20", required: true });

export const codeField = () =>
  field(
    t("field.sms_code"),
    {
      name: "code",
      inputmode: "numeric",
      autocomplete: "one-time-code",
      maxlength: "6",
      pattern: "[0-9]{6}",
      required: true,
    },
    t("field.sms_code_hint"),
  );

export const passcodeField = (labelText = t("field.passcode"), name = "passcode") =>
  field(
    labelText,
    {
      name,
      type: "password",
      inputmode: "numeric",
      autocomplete: "off",
      maxlength: "6",
      pattern: "[0-9]{6}",
      required: true,
      class: "passcode",
    },
    t("field.passcode_hint"),
  );

// Secrets are sent as typed: a space in a password is part of it.
const SECRETS = new Set(["password", "again", "passcode"]);

// A form that runs ``work(values)`` on submit: its buttons wait meanwhile, and a refusal is shown as
// one sentence above the buttons. ``check(values)`` may return a sentence to refuse before sending;
// ``explain(error)`` may say a refusal better than problemSentence() can (naming the field typed).
export function form({ work, check = () => null, explain = () => null }, ...children) {
  const error = h("p", { class: "notice bad", role: "alert", hidden: true });
  const element = h("form", { novalidate: true, class: "form" }, ...children, error);
  let busy = false;
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    const values = Object.fromEntries(new FormData(element));
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === "string" && !SECRETS.has(name)) values[name] = value.trim();
    }
    const refusal = check(values);
    error.hidden = true;
    if (refusal) return show(error, refusal);
    busy = true;
    element.setAttribute("aria-busy", "true");
    const buttons = [...element.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    try {
      await work(values);
    } catch (problem) {
      if (!(problem instanceof SessionEnded)) show(error, explain(problem) || problemSentence(problem));
    } finally {
      busy = false;
      element.removeAttribute("aria-busy");
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return element;
}

function show(error, sentence) {
  error.replaceChildren(...withIcon("warning", sentence));
  error.hidden = false;
  error.scrollIntoView({ block: "center" });
}

// Digits only, as a phone's numeric keyboard types them (full-width digits and spaces dropped).
export const digits = (value) => (value || "").normalize("NFKC").replace(/\D/g, "");

// What a form of ID number and password refuses before sending (login, unlock).
export const checkCredentials = (values) =>
  digits(values.id_number).length !== 12 ? t("check.id_number") : !values.password ? t("check.password_missing") : null;
