// What the app keeps on the phone, in IndexedDB: the device key (devicekey.js), the session, the holder's
// ID number, and the last card and documents list with the time they were read, shown when there is no signal.
// Nothing here leaves the phone. Logging out forgets the session and the copies; the device key stays,
// since the account is bound to it.

const DB_NAME = "civicid-app";
const DB_VERSION = 1;
const STORES = ["keys", "state", "copies"];

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        for (const name of STORES) {
          if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name);
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, mode);
    const request = work(transaction.objectStore(storeName));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export const get = (storeName, key) => run(storeName, "readonly", (store) => store.get(key));
export const put = (storeName, key, value) => run(storeName, "readwrite", (store) => store.put(value, key));
export const remove = (storeName, key) => run(storeName, "readwrite", (store) => store.delete(key));
const clear = (storeName) => run(storeName, "readwrite", (store) => store.clear());

// The session: {token, device_id, account_id, expires_at}. An expired one is no session.
export async function session() {
  const current = await get("state", "session");
  return current && Date.parse(current.expires_at) > Date.now() ? current : null;
}

export const saveSession = (value) => put("state", "session", value);
export const endSession = () => remove("state", "session");

// The holder this phone belongs to: {id_number}. Kept after logout, to fill the login form.
export const holder = async () => (await get("state", "holder")) || null;

export async function saveHolder(idNumber) {
  const before = await holder();
  if (before && before.id_number !== idNumber) await clear("copies"); // another person's copies go
  await put("state", "holder", { id_number: idNumber });
}

// The last copy of something read from the server ("card", "documents"): {data, saved_at}.
export const copy = async (name) => (await get("copies", name)) || null;
export const saveCopy = (name, data) => put("copies", name, { data, saved_at: Date.now() });

// Logging out: the session and every copy go, so that the next person using the phone sees nothing.
export async function forgetSession() {
  await endSession();
  await clear("copies");
}

// A small preference (text size, language) that the shell needs before IndexedDB opens.
export function preference(name) {
  try {
    return localStorage.getItem(`civicid.${name}`);
  } catch {
    return null;
  }
}

export function savePreference(name, value) {
  try {
    localStorage.setItem(`civicid.${name}`, value);
  } catch {
    // Private mode: the choice lasts until the app closes.
  }
}
