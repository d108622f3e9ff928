// The browser's offline verifier of CivicID's QR credentials (docs/formats/qr-v1.md §8), in plain JS:
// Base45 (RFC 9285), zlib inflate (DecompressionStream), CBOR (RFC 8949, what the profile uses), COSE_Sign1
// ES256 (RFC 9052) with WebCrypto, the trust bundle (civicid-trust/1, a JWS) and its status lists (JWT).
// It takes the same steps, in the same order, with the same reasons, as civicid/credentials/verifier.py;
// the tests check that both agree on every test vector.

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
export const PREFIX = "CID1:";
const CLAIM_169_PROFILES = new Set(["eid", "eid-min"]);
const MAX_DECOMPRESSED = 16 * 1024;

export function b45decode(text) {
  const values = [];
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error("not Base45");
    values.push(v);
  }
  if (values.length % 3 === 1) throw new Error("not Base45");
  const out = [];
  for (let i = 0; i < values.length; i += 3) {
    if (i + 2 < values.length) {
      const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
      if (n > 0xffff) throw new Error("not Base45");
      out.push(n >> 8, n & 0xff);
    } else {
      const n = values[i] + values[i + 1] * 45;
      if (n > 0xff) throw new Error("not Base45");
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

export function b64urlDecode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export function b64urlEncode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function inflate(bytes, limit = MAX_DECOMPRESSED) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel();
      throw new Error("too large");
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// CBOR: maps decode to Map (keys as they are), byte strings to Uint8Array, tags to {tag, value}.
export function cborDecode(bytes) {
  let at = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  function need(n) {
    if (at + n > bytes.length) throw new Error("truncated CBOR");
  }
  function length(info) {
    if (info < 24) return info;
    const sizes = { 24: 1, 25: 2, 26: 4, 27: 8 };
    const n = sizes[info];
    if (!n) throw new Error("unsupported CBOR length");
    need(n);
    let v;
    if (n === 1) v = view.getUint8(at);
    else if (n === 2) v = view.getUint16(at);
    else if (n === 4) v = view.getUint32(at);
    else v = Number(view.getBigUint64(at));
    at += n;
    return v;
  }
  function item(depth) {
    if (depth > 16) throw new Error("CBOR too deep");
    need(1);
    const first = bytes[at++];
    const major = first >> 5;
    const info = first & 31;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      throw new Error("unsupported CBOR simple value");
    }
    const n = length(info);
    switch (major) {
      case 0:
        return n;
      case 1:
        return -1 - n;
      case 2:
        need(n);
        at += n;
        return bytes.slice(at - n, at);
      case 3:
        need(n);
        at += n;
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(at - n, at));
      case 4: {
        const list = [];
        for (let i = 0; i < n; i++) list.push(item(depth + 1));
        return list;
      }
      case 5: {
        const map = new Map();
        for (let i = 0; i < n; i++) {
          const key = item(depth + 1);
          map.set(key, item(depth + 1));
        }
        return map;
      }
      case 6:
        return { tag: n, value: item(depth + 1) };
      default:
        throw new Error("unsupported CBOR");
    }
  }
  const value = item(0);
  if (at !== bytes.length) throw new Error("trailing CBOR");
  return value;
}

function cborHead(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  if (n < 65536) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

// RFC 9052 §4.4: ["Signature1", protected, h'', payload].
function sigStructure(protectedBytes, payload) {
  const context = new TextEncoder().encode("Signature1");
  const parts = [
    cborHead(4, 4),
    cborHead(3, context.length),
    [...context],
    cborHead(2, protectedBytes.length),
    [...protectedBytes],
    cborHead(2, 0),
    cborHead(2, payload.length),
    [...payload],
  ];
  return new Uint8Array(parts.flat());
}

const ECDSA = { name: "ECDSA", hash: "SHA-256" };

export async function importJwk(jwk) {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || jwk.d) throw new Error("not a P-256 public JWK");
  return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}

export async function thumbprint(jwk) {
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`;
  return b64urlEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical))));
}

async function verifyJws(token, key, typ) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("not a compact JWS");
  const header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0])));
  if (header.alg !== "ES256" || header.typ !== typ) throw new Error("wrong alg or typ");
  const ok = await crypto.subtle.verify(ECDSA, key, b64urlDecode(parts[2]), new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  if (!ok) throw new Error("bad signature");
  return { header, payload: JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1]))) };
}

function jwsHeader(token) {
  return JSON.parse(new TextDecoder().decode(b64urlDecode(token.split(".")[0])));
}

// The bundle: verified with its signer, who must be one of the pinned anchors when any is given.
export async function loadBundle(text, anchors, nowSeconds) {
  text = text.trim();
  const parts = text.split(".");
  const unverified = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1])));
  const signer = await thumbprint(unverified.signer);
  if (jwsHeader(text).kid !== signer) throw new Error("kid is not the signer's");
  if (anchors && anchors.length && !anchors.includes(signer)) throw new Error("untrusted signer");
  const { payload } = await verifyJws(text, await importJwk(unverified.signer), "civicid-trust+jwt");
  if (payload.v !== "civicid-trust/1") throw new Error("another format");
  const keys = new Map();
  const lists = new Map();
  for (const issuer of payload.issuers) {
    const mine = new Map();
    for (const entry of issuer.keys) {
      const key = { issuer: issuer.iss, kid: entry.kid, key: await importJwk(entry.jwk), signsFrom: entry.signs_from, signsUntil: entry.signs_until, verifyUntil: entry.verify_until };
      keys.set(entry.kid, key);
      mine.set(entry.kid, key);
    }
    for (const token of issuer.status_lists || []) {
      try {
        const key = mine.get(jwsHeader(token).kid);
        if (!key) continue;
        const claims = (await verifyJws(token, key.key, "statuslist+jwt")).payload;
        if (typeof claims.exp === "number" && claims.exp <= nowSeconds) continue;
        const data = await inflate(b64urlDecode(claims.status_list.lst), 1 << 20);
        lists.set(claims.sub, { bits: claims.status_list.bits, data });
      } catch {
        // a list that does not verify is left out: its credentials are status_unknown
      }
    }
  }
  return { text, signer, issuedAt: payload.iat, nextUpdate: payload.next_update, expiresAt: payload.exp, keys, lists, rules: payload.rules };
}

function statusOf(bundle, reference) {
  const list = bundle.lists.get(reference.uri);
  if (!list) return ["status_unknown", null];
  const position = reference.idx * list.bits;
  if (position / 8 >= list.data.length) return ["status_unknown", null];
  const value = (list.data[Math.floor(position / 8)] >> position % 8) & ((1 << list.bits) - 1);
  if (value === 0) return [null, "valid"];
  if (value === 2) return ["suspended", "suspended"];
  return ["revoked", "invalid"];
}

const GENDER = { 1: "male", 2: "female", 3: "other" };
const PHOTO_TYPES = { 1: "image/jpeg", 2: "image/jp2", 3: "image/avif", 4: "image/webp" };

function disclosed(identity, civicid) {
  const out = {};
  if (identity instanceof Map) {
    if (typeof identity.get(1) === "string") out.id_number = identity.get(1);
    if (typeof identity.get(4) === "string") out.full_name = identity.get(4);
    if (typeof identity.get(8) === "string") out.date_of_birth = identity.get(8);
    if (GENDER[identity.get(9)]) out.sex = GENDER[identity.get(9)];
    if (identity.get(16) instanceof Uint8Array) {
      let s = "";
      for (const b of identity.get(16)) s += String.fromCharCode(b);
      out.photo = { media_type: PHOTO_TYPES[identity.get(17)] || "application/octet-stream", base64: btoa(s) };
    }
  }
  if (Number.isInteger(civicid.get(2))) out.level = civicid.get(2);
  if (typeof civicid.get(3) === "string") out.card_expiry = civicid.get(3);
  const own = civicid.get(10);
  if (own instanceof Map) {
    for (const [name, value] of own) {
      if (typeof name === "string" && ["string", "number", "boolean"].includes(typeof value)) out[name] = value;
      else if (typeof name === "string" && Array.isArray(value)) out[name] = value;
    }
  }
  return out;
}

// One QR text against a loaded bundle at nowSeconds: the verdict, as verifier.Verdict.as_json() has it.
export async function verifyText(text, bundle, nowSeconds) {
  const age = Math.max(0, Math.floor(nowSeconds) - bundle.issuedAt);
  const verdict = { valid: false, reason: null, format: null, profile: null, issuer: null, kid: null, credential_id: null, issued_at: null, expires_at: null, device_bound: false, status: null, disclosed: {}, bundle_age: age };
  let cose;
  let prefixed;
  try {
    text = text.trim();
    prefixed = text.startsWith(PREFIX);
    if (prefixed) text = text.slice(PREFIX.length);
    if (!text || text.length > 4296) throw new Error("empty");
    cose = cborDecode(await inflate(b45decode(text)));
    if (cose && cose.tag !== undefined) {
      if (cose.tag !== 18) throw new Error("not COSE_Sign1");
      cose = cose.value;
    }
    if (!Array.isArray(cose) || cose.length !== 4) throw new Error("not COSE_Sign1");
  } catch {
    return { ...verdict, reason: "unreadable" };
  }
  const [protectedBytes, , payload, signature] = cose;
  let kid;
  try {
    const header = cborDecode(protectedBytes);
    if (!(payload instanceof Uint8Array) || !(signature instanceof Uint8Array) || signature.length !== 64) throw new Error();
    if (header.get(1) !== -7 || !(header.get(4) instanceof Uint8Array)) throw new Error();
    kid = b64urlEncode(header.get(4));
  } catch {
    return { ...verdict, reason: "unreadable" };
  }
  const base = { ...verdict, format: "qr-v1", kid };
  const key = bundle.keys.get(kid);
  if (!key) return { ...base, reason: "unknown_issuer" };
  const ok = await crypto.subtle.verify(ECDSA, key.key, signature, sigStructure(protectedBytes, payload));
  if (!ok) return { ...base, reason: "bad_signature" };
  let claims;
  let civicid;
  try {
    claims = cborDecode(payload);
    civicid = claims.get(-65537);
    if (!(civicid instanceof Map) || typeof civicid.get(1) !== "string") throw new Error();
    if (typeof claims.get(1) !== "string" || !(claims.get(7) instanceof Uint8Array)) throw new Error();
    if (!Number.isInteger(claims.get(6)) || !Number.isInteger(claims.get(4)) || claims.get(4) <= claims.get(6)) throw new Error();
  } catch {
    return { ...base, reason: "malformed" };
  }
  const profile = civicid.get(1);
  if (claims.get(1) !== key.issuer || prefixed === CLAIM_169_PROFILES.has(profile)) return { ...base, reason: "malformed" };
  const cti = [...claims.get(7)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const cnf = claims.get(8);
  const about = { ...base, profile, issuer: claims.get(1), credential_id: cti, issued_at: claims.get(6), expires_at: claims.get(4), device_bound: cnf instanceof Map && cnf.get(3) instanceof Uint8Array };
  const moment = Math.floor(nowSeconds);
  const skew = bundle.rules.clock_skew;
  const [iat, exp] = [claims.get(6), claims.get(4)];
  if (moment >= bundle.expiresAt) return { ...about, reason: "stale_bundle" };
  if (exp + skew <= moment) return { ...about, reason: "expired" };
  if (iat - skew > moment) return { ...about, reason: "not_yet_valid" };
  if ((key.verifyUntil !== null && key.verifyUntil <= moment) || iat + skew < key.signsFrom) return { ...about, reason: "unknown_issuer" };
  if (key.signsUntil !== null && iat - skew > key.signsUntil) return { ...about, reason: "unknown_issuer" };
  let status = null;
  const reference = claims.get(65535);
  if (reference !== undefined) {
    const inner = reference instanceof Map ? reference.get("status_list") : null;
    if (!(inner instanceof Map) || !Number.isInteger(inner.get("idx")) || typeof inner.get("uri") !== "string") return { ...about, reason: "malformed" };
    const [reason, name] = statusOf(bundle, { idx: inner.get("idx"), uri: inner.get("uri") });
    if (reason) return { ...about, reason, status: name };
    status = name;
  }
  return { ...about, valid: true, status, disclosed: disclosed(claims.get(169), civicid) };
}
