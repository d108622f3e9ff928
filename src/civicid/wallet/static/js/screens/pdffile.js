// What the app can tell of a PDF before sending it: whether it is one, its SHA-256, how many pages it says it
// has and its title when the document information is not compressed. Read here, in the phone.

const latin1 = new TextDecoder("latin1");

export async function pdfFacts(bytes) {
  const head = latin1.decode(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 8)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha256 = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  const text = latin1.decode(new Uint8Array(bytes));
  const pages = (text.match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  const title = (text.match(/\/Title\s*\(([^)]{1,120})\)/) || [])[1] || null;
  return { pdf: head.startsWith("%PDF-"), sha256, pages, title };
}
