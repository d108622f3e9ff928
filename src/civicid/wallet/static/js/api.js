// The one way the screens speak to the server: /api/v1/accounts, JSON in and out.
//
// - Calls made for a logged-in holder carry the session (Authorization: Bearer) and the device it was
//   opened on (CivicID-Device). A 401 on such a call means the session ended (expired, logged out
//   elsewhere, locked): the session is forgotten and "session-ended" is dispatched, so the app asks the
//   person to log in again.
// - A refusal is an RFC 9457 problem: thrown as a Problem, which i18n.problemSentence() says in words.
// - No answer at all (no signal, server down, too slow for a 2G link) is thrown as Offline.

import { deviceProof } from "./devicekey.js";
import { endSession, session } from "./store.js";

const BASE = "/api/v1/accounts";
const TIMEOUT_MS = 25000; // a 2G link in the hills is slow, not dead

export class Problem extends Error {
  constructor(status, body) {
    super(body.title || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || `http_${status}`;
    this.body = body;
  }
}

export class Offline extends Error {}

export class SessionEnded extends Error {}

export const events = new EventTarget();

async function send(path, { method = "GET", body, raw, type, extra = {}, holder = false } = {}) {
  const headers = { Accept: "application/json, application/problem+json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (raw !== undefined) headers["Content-Type"] = type;
  if (holder) {
    const current = await session();
    if (!current) {
      events.dispatchEvent(new Event("session-ended"));
      throw new SessionEnded();
    }
    headers.Authorization = `Bearer ${current.token}`;
    headers["CivicID-Device"] = current.device_id;
  }
  const url = path.startsWith("/api/") || /^https?:/.test(path) ? path : `${BASE}${path}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new Offline();
  }
  if (response.status === 401 && holder) {
    await endSession();
    events.dispatchEvent(new Event("session-ended"));
    throw new SessionEnded();
  }
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      // Not a problem document (a proxy's page): the status says enough.
    }
    throw new Problem(response.status, problem);
  }
  return response;
}

async function json(path, options) {
  const response = await send(path, options);
  return response.status === 204 ? null : response.json();
}

export const getJSON = (path, options = {}) => json(path, options);
export const postJSON = (path, body, options = {}) => json(path, { ...options, method: "POST", body });

// A file sent as it is (a PDF to sign or check): ``type`` its media type, ``extra`` more headers. The answer is
// the Response itself, JSON or a file.
export const postBytes = (path, bytes, type, options = {}) => send(path, { ...options, method: "POST", raw: bytes, type });

// An image the server gives only to the holder (the portrait): fetched with the session, as a Blob.
export async function getBlob(url) {
  return (await send(url, { holder: true })).blob();
}

// A proof of this phone for ``purpose`` ("login", "bind"), answering a fresh single-use challenge; signed
// with ``key`` when given (a key being bound), else with the key the phone keeps.
export async function proveDevice(purpose, idNumber, key = null) {
  const response = await send("/challenge", { method: "POST" });
  const { nonce } = await response.json();
  const serverTime = Date.parse(response.headers.get("Date") || "") || Date.now();
  return deviceProof({ purpose, idNumber, nonce, serverTime, key });
}

// Whether the server answers at all (any status will do): tells "no signal" from "not logged in".
export async function reachable() {
  try {
    await fetch("/api/v1/health", { cache: "no-store", signal: AbortSignal.timeout(8000) });
    return true;
  } catch {
    return false;
  }
}
