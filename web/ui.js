// Building blocks of every view: elements, notices, navigation, and how dates and order statuses
// read. Every element is built with DOM calls (never innerHTML from data), so whatever people type
// shows as text.

const view = document.getElementById("view");

/** An element: h("p", { class: "note" }, "text", child, ...). Strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// After a navigation, focus moves to the new page's heading, so that keyboard and screen-reader
// users start where the content changed; on the first load it stays at the top of the page.
let navigated = false;
window.addEventListener("hashchange", () => {
  navigated = true;
});

export function show(...children) {
  view.replaceChildren(...children);
  const heading = view.querySelector("h1");
  // Except while someone types in the header's search box: the results come to them as they type.
  const typing = document.activeElement && document.activeElement.closest("header [role=search]");
  if (heading && navigated && !typing) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

/** The API's messages start in lower case, to fit inside a sentence; shown alone, they get a capital and a full stop. */
export function plain(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A notice in plain words; `kind` is "error", "unavailable" or "info". */
export function notice(text, kind = "error") {
  return h("p", { class: `notice ${kind}`, role: kind === "info" ? "status" : "alert" }, plain(text));
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

/** Goes to `hash`, or renders it again when the page is there already. */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export function requireLogin(reason) {
  const back = encodeURIComponent(location.hash || "#/");
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, "Please log in"),
    h("p", {}, reason),
    h(
      "p",
      {},
      h("a", { class: "button", href: `#/login?next=${back}` }, "Log in"),
      " or ",
      h("a", { href: `#/register?next=${back}` }, "create an account"),
    ),
  );
}

/** Where to go after logging in or registering: the page that asked, never back to those forms. */
export function nextHash() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const next = params.get("next");
  return next && next.startsWith("#/") && !next.startsWith("#/login") && !next.startsWith("#/register") ? next : "#/";
}

/** "username must be 3 to 32 characters long" → "Username must be 3 to 32 characters long." */
export function sentence(field, message) {
  const label = field.replace(/_/g, " ");
  const text = `${label} ${message}`;
  return text.charAt(0).toUpperCase() + text.slice(1) + (text.endsWith(".") ? "" : ".");
}

export function date(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime())
    ? iso
    : when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export const STATUS_WORDS = {
  OPEN: "Open (your cart)",
  PENDING_PAYMENT: "Payment in progress",
  PAID: "Paid",
  PAYMENT_FAILED: "Payment failed",
};

export function statusBadge(status) {
  return h("span", { class: `badge status-${(status || "").toLowerCase()}` }, STATUS_WORDS[status] || status);
}

/**
 * A table that scrolls sideways on a narrow screen. `columns` are the header cells: a label, or
 * `[label, "number"]` for a right-aligned one (null leaves a column out); `rows` are the body's
 * rows and `total` the footer's (the total goes in the fourth column).
 */
export function table(columns, rows, total = null) {
  const header = columns
    .filter((column) => column !== null)
    .map((column) => {
      const [label, kind] = Array.isArray(column) ? column : [column, null];
      return h("th", { scope: "col", class: kind === "number" ? "number" : false }, label);
    });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "lines" },
      h("thead", {}, h("tr", {}, header)),
      h("tbody", {}, rows),
      total
        ? h(
            "tfoot",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "row", colspan: 3 }, "Total"),
              h("td", { class: "number total" }, total),
              columns.length > 4 ? h("td") : null,
            ),
          )
        : null,
    ),
  );
}
