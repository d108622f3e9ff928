// Activation, one question a page (DOMAIN.md "Issuing is not activating"): ID number and phone → the SMS
// code → password → passcode twice → two security questions → this phone's key is bound, and the
// person is logged in on it.

import { getJSON, postJSON } from "../api.js";
import { ensureDeviceKey } from "../devicekey.js";
import { inLanguage, t } from "../i18n.js";
import { go } from "../nav.js";
import {
  button,
  codeField,
  digits,
  field,
  form,
  h,
  icon,
  idNumberField,
  notice,
  passcodeField,
  screen,
  submit,
} from "../ui.js";
import { logIn } from "./login.js";

const STEPS = 5;

// The server's password rules (accounts/hashing.py check_password), checked as the person types.
export const PASSWORD_RULES = [
  ["length", (p) => [...p].length >= 8 && [...p].length <= 20],
  ["digit", (p) => /\p{Nd}/u.test(p)],
  ["upper", (p) => /\p{Lu}/u.test(p)],
  ["lower", (p) => /\p{Ll}/u.test(p)],
  ["special", (p) => /[^0-9A-Za-z\s]/.test(p)],
];

// ``start`` ({idNumber, phone, note}) begins at the code: a level-1 account just opened sent it (level1.js).
export async function show(view, rest = [], start = null) {
  const state = {};

  // Each step after the first can go back to the start (a code or ticket that ran out, a typo).
  function step(number, title, ...content) {
    const again = number > 1 ? button("back", t("activate.start_again"), { class: "button quiet" }) : null;
    if (again) again.addEventListener("click", () => details());
    screen(view, title, h("p", { class: "step" }, t("activate.step", { n: number, of: STEPS })), ...content, again);
  }

  function details() {
    const idNumber = idNumberField(state.idNumber || "");
    const phone = field(
      t("field.phone"),
      { name: "phone", type: "tel", inputmode: "tel", autocomplete: "tel", maxlength: "15", required: true },
      t("field.phone_hint"),
    );
    step(
      1,
      t("activate.title"),
      h("p", { class: "lead" }, t("activate.intro")),
      form(
        {
          check: (v) =>
            digits(v.id_number).length !== 12
              ? t("check.id_number")
              : digits(v.phone).length < 9
                ? t("check.phone")
                : null,
          work: async (v) => {
            state.idNumber = digits(v.id_number);
            state.phone = digits(v.phone);
            await postJSON("/activation/code", { id_number: state.idNumber, phone: state.phone });
            code();
          },
        },
        idNumber.wrap,
        phone.wrap,
        submit("sms", t("activate.send_code")),
      ),
    );
  }

  function code(resent = false) {
    const input = codeField();
    const again = h(
      "button",
      { type: "button", class: "button quiet" },
      icon("refresh"),
      h("span", {}, t("activate.resend")),
    );
    again.addEventListener("click", async () => {
      again.disabled = true;
      try {
        await postJSON("/activation/code", { id_number: state.idNumber, phone: state.phone });
        code(true);
      } catch {
        again.disabled = false;
      }
    });
    step(
      2,
      t("activate.code_title"),
      state.note ? notice("ok", "check", state.note) : null,
      notice("ok", "sms", resent ? t("activate.code_resent") : t("activate.code_sent")),
      form(
        {
          check: (v) => (digits(v.code).length !== 6 ? t("check.code") : null),
          work: async (v) => {
            const ticket = await postJSON("/activation/verify", {
              id_number: state.idNumber,
              phone: state.phone,
              code: digits(v.code),
            });
            state.ticket = ticket.ticket;
            password();
          },
        },
        input.wrap,
        submit("check", t("common.continue")),
        again,
      ),
    );
    input.input.focus();
  }

  function password() {
    const first = field(t("field.new_password"), {
      name: "password",
      type: "password",
      autocomplete: "new-password",
      maxlength: "20",
      required: true,
    });
    const second = field(t("field.password_again"), {
      name: "again",
      type: "password",
      autocomplete: "new-password",
      maxlength: "20",
      required: true,
    });
    const rules = h("ul", { class: "rules", "aria-live": "polite" });
    const reveal = h("label", { class: "toggle" }, h("input", { type: "checkbox" }), t("field.show_password"));
    const drawRules = () => {
      rules.replaceChildren(
        ...PASSWORD_RULES.map(([name, test]) => {
          const ok = test(first.input.value);
          return h(
            "li",
            { class: ok ? "ok" : "no" },
            icon(ok ? "check" : "cross"),
            h("span", {}, t(`rule.${name}`)),
            h("span", { class: "visually-hidden" }, ok ? t("rule.met") : t("rule.unmet")),
          );
        }),
      );
    };
    first.input.addEventListener("input", drawRules);
    reveal.querySelector("input").addEventListener("change", (event) => {
      for (const input of [first.input, second.input]) input.type = event.target.checked ? "text" : "password";
    });
    drawRules();
    step(
      3,
      t("activate.password_title"),
      form(
        {
          check: (v) =>
            !PASSWORD_RULES.every(([, test]) => test(v.password))
              ? t("check.password_rules")
              : v.password !== v.again
                ? t("check.password_again")
                : null,
          work: async (v) => {
            state.password = v.password;
            passcode();
          },
        },
        first.wrap,
        h("p", { class: "hint" }, t("rule.intro")),
        rules,
        second.wrap,
        reveal,
        submit("check", t("common.continue")),
      ),
    );
    first.input.focus();
  }

  function passcode() {
    const first = passcodeField(t("field.new_passcode"), "passcode");
    const second = passcodeField(t("field.passcode_again"), "again");
    step(
      4,
      t("activate.passcode_title"),
      h("p", { class: "lead" }, t("activate.passcode_intro")),
      form(
        {
          check: (v) =>
            !/^\d{6}$/.test(v.passcode)
              ? t("check.passcode")
              : v.passcode !== v.again
                ? t("check.passcode_again")
                : null,
          work: async (v) => {
            state.passcode = v.passcode;
            await questions();
          },
        },
        first.wrap,
        second.wrap,
        submit("check", t("common.continue")),
      ),
    );
    first.input.focus();
  }

  async function questions() {
    const offered = await getJSON("/security-questions");
    const choice = (n) => {
      const select = field(t("activate.question", { n }), { tag: "select", name: `question${n}`, required: true });
      select.input.append(
        h("option", { value: "" }, t("activate.choose")),
        ...offered.map((q) => h("option", { value: q.id }, inLanguage(q))),
      );
      const answer = field(t("activate.answer", { n }), {
        name: `answer${n}`,
        maxlength: "100",
        autocomplete: "off",
        required: true,
      });
      return h("fieldset", { class: "question" }, select.wrap, answer.wrap);
    };
    step(
      5,
      t("activate.questions_title"),
      h("p", { class: "lead" }, t("activate.questions_intro")),
      form(
        {
          check: (v) =>
            !v.question1 || !v.question2 || !v.answer1 || !v.answer2
              ? t("check.questions")
              : v.question1 === v.question2
                ? t("check.questions_differ")
                : null,
          work: async (v) => {
            await finish([
              { question: v.question1, answer: v.answer1 },
              { question: v.question2, answer: v.answer2 },
            ]);
          },
        },
        choice(1),
        choice(2),
        submit("key", t("activate.finish")),
      ),
    );
  }

  async function finish(answers) {
    const key = await ensureDeviceKey();
    const done = await postJSON("/activation/complete", {
      ticket: state.ticket,
      password: state.password,
      passcode: state.passcode,
      security_answers: answers,
      device_public_jwk: key.publicJwk,
    });
    try {
      await logIn(state.idNumber, state.password);
    } catch {
      return go("login", t("activate.done"));
    }
    // What the agencies said of the documents listed at enrollment (form TK01).
    const documents = [
      done.documents_refused ? t("activate.documents_refused", { n: done.documents_refused }) : null,
      done.documents_pending ? t("activate.documents_pending", { n: done.documents_pending }) : null,
    ];
    go("", [t("activate.done"), ...documents.filter(Boolean)].join(" "));
  }

  if (start) {
    Object.assign(state, start);
    code();
  } else {
    details();
  }
}
