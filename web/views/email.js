// `#/email?token=…`: the page the link e-mailed to a new address opens. The change is confirmed by
// the account's owner, signed in: whoever reads that mailbox has the link, not the account. The
// page says which address the account will have, so that the owner sees a typo before making it
// theirs. The token leaves the address bar at once and waits in this tab's session storage while
// the person logs in; it is sent only when they press the button, so a mail scanner confirms
// nothing.

import { api, session } from "../api.js";
import { h, loading, notice, requireLogin, show } from "../ui.js";

const KEPT = "shop.email-change-token";

export function emailChangeView() {
  const fromLink = new URLSearchParams(location.hash.split("?")[1] || "").get("token");
  if (fromLink) sessionStorage.setItem(KEPT, fromLink);
  history.replaceState(null, "", "#/email");
  const token = sessionStorage.getItem(KEPT);
  const page = (...children) =>
    show(h("section", { class: "narrow" }, h("h1", {}, "Confirm your new e-mail address"), ...children));
  const toAccount = h("p", {}, h("a", { href: "#/account" }, "Go to your account"));
  if (!token) return page(notice("Open the link in the e-mail we sent to your new address.", "info"), toAccount);
  if (!session.signedIn) return show(requireLogin("Log in to the account whose address changes."));
  const fail = (err) => {
    if (!err.unavailable) sessionStorage.removeItem(KEPT);
    page(notice(err.message, err.unavailable ? "unavailable" : "error"), toAccount);
  };
  const confirm = async (event) => {
    event.target.disabled = true;
    try {
      const user = await api("POST", "/api/user/email/confirm", { token });
      sessionStorage.removeItem(KEPT);
      session.update(user);
      page(notice(`Your e-mail address is now ${user.email}.`, "info"), toAccount);
    } catch (err) {
      fail(err);
    }
  };
  page(loading("Reading your account…"));
  api("GET", "/api/user").then((user) => {
    session.update(user);
    if (!user.pending_email) {
      sessionStorage.removeItem(KEPT);
      return page(notice("Your account is not waiting for a new e-mail address.", "info"), toAccount);
    }
    page(
      h("p", {}, `Make ${user.pending_email} the e-mail address of your account ${user.username}?`),
      h("p", {}, `Until you do, we use ${user.email}. Not the address you meant? Change it again from your account.`),
      h("button", { type: "button", class: "button primary", onclick: confirm }, "Make this my address"),
    );
  }, fail);
}
