// `#/verify?token=…`: the page a confirmation e-mail's link opens. It sends the token to the API
// once and says what came of it; the token then leaves the address bar and the history.

import { api, session } from "../api.js";
import { h, loading, notice, show } from "../ui.js";

export async function verifyView() {
  const token = new URLSearchParams(location.hash.split("?")[1] || "").get("token") || "";
  history.replaceState(null, "", "#/verify");
  const page = (...children) =>
    show(h("section", { class: "narrow" }, h("h1", {}, "Confirm your e-mail address"), ...children));
  page(loading("Confirming…"));
  try {
    await api("POST", "/api/user/verify", { token });
  } catch (err) {
    const next = session.signedIn
      ? h("p", {}, h("a", { href: "#/account" }, "Ask for a new link"), " from your account page.")
      : h("p", {}, h("a", { href: "#/login?next=%23%2Faccount" }, "Log in"), " to ask for a new link.");
    page(notice(err.message, err.unavailable ? "unavailable" : "error"), err.unavailable ? null : next);
    return;
  }
  if (session.signedIn && session.user) session.update({ ...session.user, email_verified: true });
  page(
    notice("Thank you: your e-mail address is confirmed.", "info"),
    h("p", {}, h("a", { href: "#/" }, "Go to the catalogue")),
  );
}
