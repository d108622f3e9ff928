// The /verify page: reads a QR from the camera, an image or pasted text, and verifies it in the browser, offline
// once loaded. The trust bundle is fetched when the network answers, checked against the anchor the page pins,
// and kept in localStorage; the page says how old it is.
import { loadBundle, verifyText } from "./verifier.js";

const STORE = "civicid-trust-bundle";
const $ = (id) => document.getElementById(id);
const anchor = document.body.dataset.anchor;
const lang = document.documentElement.lang || "vi";
let bundle = null;

const WORDS = {
  vi: { valid: "HỢP LỆ", invalid: "KHÔNG HỢP LỆ", age: "Dữ liệu tin cậy: cập nhật {h} giờ trước", none: "Chưa có dữ liệu tin cậy: cần kết nối mạng một lần.", stale: "Dữ liệu tin cậy đã quá hạn: hãy cập nhật.", noqr: "Không tìm thấy mã QR trong ảnh." },
  en: { valid: "VALID", invalid: "NOT VALID", age: "Trust data: updated {h} h ago", none: "No trust data yet: connect once.", stale: "Trust data is out of date: update it.", noqr: "No QR code found in the image." },
};
const t = (key, h = 0) => (WORDS[lang] || WORDS.vi)[key].replace("{h}", String(h));
const now = () => Date.now() / 1000;

async function refreshBundle() {
  try {
    const response = await fetch("/api/v1/credentials/trust-bundle", { cache: "no-store" });
    if (response.ok) {
      const text = await response.text();
      bundle = await loadBundle(text, [anchor], now());
      localStorage.setItem(STORE, text);
    }
  } catch {
    // offline: the kept bundle below
  }
  if (!bundle && localStorage.getItem(STORE)) {
    try {
      bundle = await loadBundle(localStorage.getItem(STORE), [anchor], now());
    } catch {
      bundle = null;
    }
  }
  showAge();
}

function showAge() {
  const el = $("bundle-age");
  if (!bundle) {
    el.textContent = t("none");
    el.className = "warning";
    return;
  }
  const hours = Math.floor((now() - bundle.issuedAt) / 3600);
  el.textContent = now() >= bundle.expiresAt ? t("stale") : t("age", hours);
  el.className = now() >= bundle.nextUpdate ? "warning" : "muted";
  el.dataset.age = String(Math.max(0, Math.floor(now() - bundle.issuedAt)));
}

async function show(text) {
  if (!bundle) return showAge();
  const verdict = await verifyText(text, bundle, now());
  const out = $("verdict");
  out.hidden = false;
  out.className = verdict.valid ? "verdict valid" : "verdict invalid";
  $("verdict-title").textContent = verdict.valid ? t("valid") : t("invalid");
  $("verdict-reason").textContent = verdict.valid ? `${verdict.profile} · ${verdict.issuer}` : verdict.reason;
  const list = $("verdict-fields");
  list.replaceChildren();
  const photo = $("verdict-photo");
  photo.hidden = true;
  for (const [name, value] of Object.entries(verdict.disclosed)) {
    if (name === "photo") {
      photo.src = `data:${value.media_type};base64,${value.base64}`;
      photo.hidden = false;
      continue;
    }
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
    list.append(dt, dd);
  }
  out.dataset.valid = String(verdict.valid);
  out.dataset.reason = verdict.reason || "";
}

function decodeImageData(data) {
  const found = window.jsQR(data.data, data.width, data.height, { inversionAttempts: "attemptBoth" });
  return found ? found.data : null;
}

async function fromFile(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const text = decodeImageData(context.getImageData(0, 0, canvas.width, canvas.height));
  if (text) await show(text);
  else {
    $("verdict").hidden = false;
    $("verdict").className = "verdict invalid";
    $("verdict-title").textContent = t("invalid");
    $("verdict-reason").textContent = t("noqr");
    $("verdict").dataset.reason = "unreadable";
  }
}

async function camera() {
  const video = $("camera");
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const tick = async () => {
    if (video.readyState >= 2) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const text = decodeImageData(context.getImageData(0, 0, canvas.width, canvas.height));
      if (text) {
        stream.getTracks().forEach((track) => track.stop());
        video.hidden = true;
        await show(text);
        return;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

$("image").addEventListener("change", (event) => event.target.files[0] && fromFile(event.target.files[0]));
$("camera-button").addEventListener("click", () => camera().catch(() => $("image").click()));
$("text-form").addEventListener("submit", (event) => {
  event.preventDefault();
  show($("text").value);
});
$("refresh").addEventListener("click", () => refreshBundle());
if ("serviceWorker" in navigator) navigator.serviceWorker.register(`/verify/sw.js?v=${document.body.dataset.version}`, { scope: "/verify" });
window.civicidVerifier = { ready: refreshBundle(), verifyText, loadBundle };
