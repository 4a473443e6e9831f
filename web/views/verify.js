// `#/verify?token=…`: the page a confirmation e-mail's link opens. The token leaves the address
// bar and the history at once; it is sent to the API only when the person presses the button, so
// a mail scanner that opens links (and runs their scripts) confirms nothing.

import { api, session } from "../api.js";
import { h, notice, show } from "../ui.js";

export function verifyView() {
  const token = new URLSearchParams(location.hash.split("?")[1] || "").get("token") || "";
  history.replaceState(null, "", "#/verify");
  const page = (...children) =>
    show(h("section", { class: "narrow" }, h("h1", {}, "Confirm your e-mail address"), ...children));
  const confirm = async (event) => {
    event.target.disabled = true;
    try {
      await api("POST", "/api/user/verify", { token });
    } catch (err) {
      const next = session.signedIn
        ? h("p", {}, h("a", { href: "#/account" }, "Ask for a new link"), " from your account page.")
        : h("p", {}, h("a", { href: "#/login?next=%23%2Faccount" }, "Log in"), " to ask for a new link.");
      page(notice(err.message, err.unavailable ? "unavailable" : "error"), err.unavailable ? null : next);
      return;
    }
    // The link may have been another account's: what this browser shows is read again.
    if (session.signedIn)
      api("GET", "/api/user").then(
        (user) => session.update(user),
        () => {},
      );
    page(
      notice("Thank you: your e-mail address is confirmed.", "info"),
      h("p", {}, h("a", { href: "#/" }, "Go to the catalogue")),
    );
  };
  page(
    h("p", {}, "Press the button to confirm that this e-mail address is yours."),
    h("button", { type: "button", class: "button primary", onclick: confirm }, "Confirm my e-mail address"),
  );
}
