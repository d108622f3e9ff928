// Words, dates and refusals in the person's language: Vietnamese first, English on the switch.
// The words come from /app/i18n/<lang>.json (the server's catalogue, wallet/translations), which the
// service worker keeps, so the switch works without signal too.

import { Offline, Problem } from "./api.js";
import { preference, savePreference } from "./store.js";

export const LANGUAGES = { vi: "Tiếng Việt", en: "English" };
const LOCALES = { vi: "vi-VN", en: "en-GB" };
let strings = {};
let current = "vi";

export const lang = () => current;
export const otherLang = () => (current === "vi" ? "en" : "vi");

// The language chosen in the app, else the shell's (the server's negotiation: ?lang=, cookie, browser).
export async function setLanguage(code) {
  const chosen = code || preference("lang") || document.documentElement.lang || "vi";
  current = chosen in LANGUAGES ? chosen : "vi";
  const response = await fetch(`/app/i18n/${current}.json`);
  strings = await response.json();
  document.documentElement.lang = current;
  document.title = t("app_name");
  if (code) savePreference("lang", current);
  return current;
}

// The message for ``key`` with its {placeholders} filled; the key itself if it is missing (never a crash).
export function t(key, params = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A stored value in words: t(`${prefix}.${value}`), or the value itself when there is no word for it.
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in strings ? strings[key] : String(value);
}

const dateFormat = () =>
  new Intl.DateTimeFormat(LOCALES[current], { day: "2-digit", month: "2-digit", year: "numeric" });
const timeFormat = () =>
  new Intl.DateTimeFormat(LOCALES[current], {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });

// A calendar date ("2031-05-01") is that day on the phone's calendar; an instant carries its offset.
function parsed(value) {
  if (value instanceof Date) return value;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : new Date(value);
}
export const formatDate = (value) => (value ? dateFormat().format(parsed(value)) : "—");
export const formatDateTime = (value) => (value ? timeFormat().format(parsed(value)) : "—");

// Whole days from today to a calendar date: 0 today, negative once it has passed.
export function daysUntil(date) {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  return Math.round((parsed(date) - today) / (24 * 3600 * 1000));
}

// A name the server gives in both languages ({vi, en}), in the person's.
export const inLanguage = (names) => (names ? names[current] || names.vi || "" : "");

// "3 hours ago", "3 giờ trước", "just now".
export function ago(timestamp, now = Date.now()) {
  const seconds = Math.round((timestamp - now) / 1000);
  const words = new Intl.RelativeTimeFormat(LOCALES[current], { numeric: "auto" });
  const steps = [
    ["year", 365 * 24 * 3600],
    ["month", 30 * 24 * 3600],
    ["week", 7 * 24 * 3600],
    ["day", 24 * 3600],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return words.format(Math.round(seconds / size), unit);
  }
  return t("just_now");
}

const minutes = (seconds) => Math.max(1, Math.ceil((Number(seconds) || 60) / 60));

// The grounds an account is locked on, in words, joined: "you asked for it; your ID card …".
export const groundsInWords = (grounds) => (grounds || []).map((g) => label("ground", g)).join("; ");

// One readable sentence for whatever went wrong: a problem from the server, no signal, anything else.
export function problemSentence(error) {
  if (error instanceof Offline) return t("problem.offline");
  if (!(error instanceof Problem)) return t("problem.unknown");
  const body = error.body;
  switch (error.code) {
    case "login_locked":
    case "passcode_locked":
    case "rate_limited":
      return t(`problem.${error.code}`, { minutes: minutes(body.retry_after_seconds) });
    case "invalid_passcode":
      return t(body.attempts_left > 0 ? "problem.invalid_passcode" : "problem.invalid_passcode_last", {
        left: body.attempts_left,
      });
    case "account_locked":
      return t("problem.account_locked", { grounds: groundsInWords(body.grounds) || t("ground.unknown") });
    case "invalid_holder_input": {
      const specific = `problem.invalid_holder_input.${body.field}`;
      return t(specific in strings ? specific : "problem.invalid_holder_input");
    }
    default: {
      const key = `problem.${error.code}`;
      if (key in strings) return t(key);
      if (error.status >= 500) return t("problem.server");
      return t("problem.unknown");
    }
  }
}
