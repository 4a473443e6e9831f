// The header: who is signed in, the cart's count, which page the menu is on, and whether accounts
// can be reached. The search box has a module of its own (search-box.js).

import { api, refresh, session } from "./api.js";
import { go, h } from "./ui.js";

const accountArea = document.getElementById("account");
const cartLink = document.getElementById("cart-link");
const ordersLink = document.getElementById("orders-link");
const adminLink = document.getElementById("admin-link");
const serviceNotice = document.getElementById("service-notice");

export function renderHeader() {
  const user = session.user;
  ordersLink.hidden = !user;
  adminLink.hidden = !(user && user.role === "admin");
  if (user) {
    accountArea.replaceChildren(
      h(
        "span",
        { class: "who" },
        "Signed in as ",
        h("a", { href: "#/account" }, h("strong", {}, user.first_name || user.username)),
      ),
      h("button", { type: "button", class: "link", onclick: logOut }, "Log out"),
    );
  } else {
    accountArea.replaceChildren(
      h("a", { href: "#/login" }, "Log in"),
      h("a", { href: "#/register", class: "button small" }, "Register"),
    );
  }
}

export async function refreshCartCount() {
  const count = cartLink.querySelector(".count");
  if (!session.signedIn) {
    count.textContent = "";
    return;
  }
  try {
    const order = await api("GET", "/api/order");
    count.textContent = order.status === "OPEN" && order.item_count ? String(order.item_count) : "";
  } catch {
    count.textContent = "";
  }
}

/** Marks the main menu's link to the page shown: "Admin" on #/admin/products too. */
export function markCurrentLink() {
  const path = (location.hash || "#/").split("?")[0];
  for (const link of document.querySelectorAll("header nav a")) {
    const href = link.getAttribute("href");
    link.toggleAttribute("aria-current", path === href || (href !== "#/" && path.startsWith(`${href}/`)));
  }
}

/**
 * Gets this page an access token for the session the browser holds (a reload forgets it), which
 * also confirms who is signed in; says so if accounts cannot be reached.
 */
export async function checkSession() {
  if (!session.signedIn || session.token) return;
  const outcome = await refresh();
  serviceNotice.hidden = outcome !== "unavailable";
  if (outcome === "unavailable") {
    serviceNotice.textContent = "Accounts are unavailable right now: you may need to log in again later.";
  }
}

async function logOut() {
  try {
    await api("POST", "/api/user/logout");
  } catch {
    // The session ends here either way.
  }
  session.end();
  go("#/");
}

window.addEventListener("session", () => {
  renderHeader();
  refreshCartCount();
});
