// `#/forgot`: asking for a link that sets a new password, and `#/reset?token=…`: the page that
// link opens. The answer to a request is the same whether or not an account matched; a new
// password signs nobody in (every session of the account ends), so the page sends the customer
// to log in with it.

import { api, session } from "../api.js";
import { form, newPasswordField } from "../form.js";
import { go, h, notice, show } from "../ui.js";

export function forgotView() {
  const outcome = h("div", { "aria-live": "polite" });
  const { element } = form({
    fields: [
      {
        name: "login",
        label: "Username or e-mail address",
        attributes: { autocomplete: "username", required: true, autocapitalize: "none", maxlength: 254 },
      },
    ],
    button: "E-mail me a link",
    submit: async (values) => {
      const answer = await api("POST", "/api/user/password-reset", values);
      outcome.replaceChildren(notice(answer.message, "info"));
    },
  });
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Forgot your password?"),
      h("p", {}, "We will e-mail you a link to choose a new one."),
      element,
      outcome,
      h("p", {}, h("a", { href: "#/login" }, "Back to log in")),
    ),
  );
}

export function resetView() {
  // The token stays in this page's memory only: out of the address bar and the history.
  const token = new URLSearchParams(location.hash.split("?")[1] || "").get("token") || "";
  history.replaceState(null, "", "#/reset");
  const { element } = form({
    fields: [newPasswordField()],
    button: "Set my new password",
    submit: async (values) => {
      await api("POST", "/api/user/password-reset/confirm", { token, new_password: values.new_password });
      session.end();
      go("#/login?reset=done");
    },
  });
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Choose a new password"),
      h("p", {}, "Every device signed in to your account will be signed out."),
      element,
      h("p", {}, "Link not working? ", h("a", { href: "#/forgot" }, "Ask for a new one"), "."),
    ),
  );
}
