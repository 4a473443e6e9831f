// Talking to the shop's API: one place for the session, JSON, and turning every failure into a
// message a person can read.
//
// The access token (15 minutes) lives in this page's memory only, never in storage a script
// injected into the page could read later. What keeps the customer signed in is the refresh
// token, in an HttpOnly cookie no script can read at all: on a reload, or when the access token
// has expired, the page asks POST /api/user/session/refresh for a new one. Who is signed in
// (name, role) is kept in localStorage, so the header shows it at once.

const USER_KEY = "shop.user";
const REFRESH_PATH = "/api/user/session/refresh";
// Tokens were once kept in localStorage: none is, any more.
localStorage.removeItem("shop.token");

let accessToken = null;

/** A failed call: the API's code and message, or our own words when the API could not answer. */
export class ApiError extends Error {
  constructor(status, code, message, fields = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** Whether the service behind the call is down (as opposed to the request being wrong). */
  get unavailable() {
    return this.status === 0 || this.status >= 500;
  }
}

export const session = {
  /** This page's access token, if it has one yet. */
  get token() {
    return accessToken;
  },
  /** Whether someone is signed in, as far as this browser knows. */
  get signedIn() {
    return this.user !== null;
  },
  get user() {
    try {
      return JSON.parse(localStorage.getItem(USER_KEY) || "null");
    } catch {
      return null;
    }
  },
  start(token, user) {
    accessToken = token;
    localStorage.setItem(USER_KEY, JSON.stringify(user));
    window.dispatchEvent(new Event("session"));
  },
  update(user) {
    localStorage.setItem(USER_KEY, JSON.stringify(user));
    window.dispatchEvent(new Event("session"));
  },
  end() {
    accessToken = null;
    localStorage.removeItem(USER_KEY);
    window.dispatchEvent(new Event("session"));
  },
};

let refreshing = null;

/**
 * Trades the refresh cookie for a new access token: "ok", "ended" (the session is over, and ended
 * here too) or "unavailable". One refresh at a time in this page, and across the shop's tabs
 * where the browser has Web Locks: each tab then sends the cookie the one before it was given.
 */
export function refresh() {
  if (!refreshing) {
    const run = () => refreshOnce();
    refreshing = (navigator.locks ? navigator.locks.request("shop-session-refresh", run) : run()).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function refreshOnce() {
  let response;
  try {
    response = await fetch(REFRESH_PATH, { method: "POST", headers: { accept: "application/json" } });
  } catch {
    return "unavailable";
  }
  if (response.ok) {
    const data = await jsonOf(response);
    session.start(data.token, data.user);
    return "ok";
  }
  if (response.status === 401 || response.status === 403) {
    session.end();
    return "ended";
  }
  return "unavailable";
}

/**
 * Sends a request with this page's access token. A 401 saying the caller is not authenticated,
 * while signed in, means the page has no token yet or it expired: refresh, and send it once
 * more. When accounts cannot be reached the session is kept, and the call fails as unavailable.
 */
async function authorizedFetch(path, options) {
  const send = () => {
    const headers = { ...options.headers };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    return fetch(path, { ...options, headers });
  };
  const response = await send();
  if (response.status !== 401 || !session.signedIn) return response;
  const answer = await response
    .clone()
    .json()
    .catch(() => null);
  // A wrong password at log-in is a 401 too, and no refresh cures it.
  if (!answer || answer.error !== "unauthorized") return response;
  const outcome = await refresh();
  if (outcome === "ok") return send();
  if (outcome === "unavailable") {
    throw new ApiError(503, "auth_unavailable", "Accounts are unavailable right now. Please try again in a moment.");
  }
  return response;
}

/** What to tell people when a service gives no answer of its own. */
function fallbackMessage(status) {
  if (status === 0) return "The shop cannot be reached. Check your connection and try again.";
  if (status === 503 || status === 502 || status === 504) {
    return "This part of the shop is unavailable right now. Please try again in a moment.";
  }
  if (status >= 500) return "Something went wrong on our side. Please try again.";
  if (status === 404) return "That could not be found.";
  return "That did not work.";
}

/**
 * Calls the API and returns the parsed JSON (or null for an empty answer). Throws ApiError.
 * A session the refresh route says is over is ended here, everywhere (see refresh()).
 */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await authorizedFetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, "unreachable", fallbackMessage(0));
  }
  const data = await jsonOf(response);
  if (!response.ok) {
    const message = (data && data.message && data.error && data.message) || fallbackMessage(response.status);
    throw new ApiError(
      response.status,
      (data && data.error) || "http_" + response.status,
      message,
      (data && data.fields) || {},
    );
  }
  return data;
}

/**
 * `path` asked of the API itself, past CloudFront's copy: the public catalogue is kept there for a
 * minute (the products service's `s-maxage`), and an administrator edits a product as it is now.
 */
export function current(path) {
  return `${path}${path.includes("?") ? "&" : "?"}current=${Date.now()}`;
}

/** Fetches a binary document (the receipt PDF) with the session's token. */
export async function download(path) {
  let response;
  try {
    response = await authorizedFetch(path, { headers: {} });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, "unreachable", fallbackMessage(0));
  }
  if (!response.ok) {
    const data = await jsonOf(response);
    throw new ApiError(
      response.status,
      (data && data.error) || "http",
      (data && data.message) || fallbackMessage(response.status),
    );
  }
  return response.blob();
}

/**
 * Fetches the document at `path` with the session's token and hands it to the browser to save as
 * `filename`; a UTF-8 byte-order mark first with `byteOrderMark` (Excel reads a CSV file without
 * one in the computer's legacy code page, garbling every name outside ASCII).
 */
export async function save(path, filename, { byteOrderMark = false } = {}) {
  const fetched = await download(path);
  const blob = byteOrderMark ? new Blob(["\uFEFF", fetched], { type: fetched.type }) : fetched;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The response's body as JSON, or null when it is empty or not JSON. */
async function jsonOf(response) {
  try {
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** `€14.50`, in the visitor's locale, from minor units. */
export function money(minor, currency) {
  if (!currency) return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/**
 * "12.5" or "12,50" typed by a person, as minor units (1250), without floating point; null when
 * it is not an amount.
 */
export function parseMoney(text) {
  const match = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  const cents = (match[2] || "").padEnd(2, "0");
  return Number(match[1]) * 100 + Number(cents);
}

/** 1450 → "14.50": minor units as the price field shows them, for parseMoney to read back. */
export function amount(minor) {
  const whole = Math.trunc(minor / 100);
  const cents = String(Math.abs(minor % 100)).padStart(2, "0");
  return `${whole}.${cents}`;
}
