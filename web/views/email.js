// `#/email?token=…`: the page the link e-mailed to a new address opens. The change is confirmed by
// the account's owner, signed in: whoever reads that mailbox has the link, not the account. The
// token leaves the address bar at once and waits in this tab's session storage while the person
// logs in; it is sent only when they press the button, so a mail scanner confirms nothing.

import { api, session } from "../api.js";
import { h, notice, requireLogin, show } from "../ui.js";

const KEPT = "shop.email-change-token";

export function emailChangeView() {
  const fromLink = new URLSearchParams(location.hash.split("?")[1] || "").get("token");
  if (fromLink) sessionStorage.setItem(KEPT, fromLink);
  history.replaceState(null, "", "#/email");
  const token = sessionStorage.getItem(KEPT) || "";
  if (!session.signedIn) return show(requireLogin("Log in to the account whose address changes."));
  const page = (...children) =>
    show(h("section", { class: "narrow" }, h("h1", {}, "Confirm your new e-mail address"), ...children));
  const confirm = async (event) => {
    event.target.disabled = true;
    try {
      const user = await api("POST", "/api/user/email/confirm", { token });
      sessionStorage.removeItem(KEPT);
      session.update(user);
      page(
        notice(`Your e-mail address is now ${user.email}.`, "info"),
        h("p", {}, h("a", { href: "#/account" }, "Go to your account")),
      );
    } catch (err) {
      if (!err.unavailable) sessionStorage.removeItem(KEPT);
      page(
        notice(err.message, err.unavailable ? "unavailable" : "error"),
        h("p", {}, h("a", { href: "#/account" }, "Go to your account")),
      );
    }
  };
  page(
    h("p", {}, `Press the button to make this the e-mail address of your account ${session.user?.username || ""}.`),
    h("button", { type: "button", class: "button primary", onclick: confirm }, "Make this my address"),
  );
}
