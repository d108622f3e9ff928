// Moving between screens (the URL's fragment: #/documents …) and the banner over them.

let pendingNote = null;

// Go to a screen; ``note`` is a sentence the next screen shows first (why the person came there).
export function go(path, note = null) {
  pendingNote = note;
  const target = `#/${path}`;
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = target;
}

export function takeNote() {
  const note = pendingNote;
  pendingNote = null;
  return note;
}

// A line over every screen: no signal, or the time the shown copy was saved.
export function setBanner(text, kind = "warn") {
  const banner = document.getElementById("banner");
  banner.className = `banner ${kind}`;
  banner.textContent = text || "";
  banner.hidden = !text;
}

// Which screen is drawn: a screen that waited for the server draws only if the person is still on it.
let drawn = 0;
export const newScreen = () => ++drawn;
export const screenTicket = () => drawn;
export const stillOn = (ticket) => ticket === drawn;
