// The phone's device key and its proofs of possession (accounts/devices.py on the server).
//
// The key is a WebCrypto P-256 ECDSA key made non-extractable: the private half can sign but can never
// be read out, not even by this code, and lives in IndexedDB as a CryptoKey. The server knows the public
// JWK; the device id is its RFC 7638 thumbprint. A proof (civicid-device-proof/2) is a compact JWS, ES256,
// over {"v", "purpose", "id_number", "nonce", "iat"}; WebCrypto's ECDSA signature is the raw r‖s pair
// that JWS wants (RFC 7518 §3.4), so no conversion is needed.

import { get, put } from "./store.js";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING = { name: "ECDSA", hash: "SHA-256" };
export const PROOF_FORMAT = "civicid-device-proof/2";
export const PROOF_TYP = "civicid-device-proof+jws";

const utf8 = new TextEncoder();

export function base64url(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// RFC 7638 §3: SHA-256 over the required members in lexicographic order, without spaces.
export async function thumbprint(jwk) {
  const members = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return base64url(await crypto.subtle.digest("SHA-256", utf8.encode(members)));
}

// The key this phone holds: {privateKey, publicJwk, deviceId}, or null before the first activation.
export const deviceKey = async () => (await get("keys", "device")) || null;

// A new key, not kept yet: moving the account to this phone keeps it only once the server has bound it.
export async function newDeviceKey() {
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]);
  const exported = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const publicJwk = { kty: exported.kty, crv: exported.crv, x: exported.x, y: exported.y };
  return { privateKey: pair.privateKey, publicJwk, deviceId: await thumbprint(publicJwk) };
}

// Keep ``key`` as this phone's key (it replaces any other: the account is bound to one key at a time).
export const keepDeviceKey = (key) => put("keys", "device", key);

// The key to bind at activation: the one the phone holds, or a new one, made and kept once.
export async function ensureDeviceKey() {
  const existing = await deviceKey();
  if (existing) return existing;
  const key = await newDeviceKey();
  await keepDeviceKey(key);
  return key;
}

// A proof that this phone holds ``key`` (by default the key it keeps), answering the server's single-use
// nonce. ``serverTime`` (ms) is the time the server gave with the nonce: a phone's own clock is often
// wrong in the villages.
export async function deviceProof({ purpose, idNumber, nonce, serverTime, key = null }) {
  const signer = key || (await deviceKey());
  if (!signer) throw new Error("this phone holds no device key");
  const header = { alg: "ES256", typ: PROOF_TYP, kid: signer.deviceId };
  const payload = {
    v: PROOF_FORMAT,
    purpose,
    id_number: idNumber,
    nonce,
    iat: Math.floor((serverTime || Date.now()) / 1000),
  };
  const encoded = (part) => base64url(utf8.encode(JSON.stringify(part)));
  const signingInput = `${encoded(header)}.${encoded(payload)}`;
  const signature = await crypto.subtle.sign(SIGNING, signer.privateKey, utf8.encode(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}
