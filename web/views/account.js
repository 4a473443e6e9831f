// `#/account`: the signed-in customer's account: who they are, changing the password, and signing
// out on every device.

import { api, session } from "../api.js";
import { form, NEW_PASSWORD_HINT } from "../form.js";
import { go, h, notice, requireLogin, show } from "../ui.js";

export function accountView(message = null) {
  if (!session.signedIn) return show(requireLogin("Log in to manage your account."));
  const user = session.user || {};
  const { element } = form({
    fields: [
      {
        name: "current_password",
        label: "Current password",
        type: "password",
        attributes: { autocomplete: "current-password", required: true },
      },
      {
        name: "new_password",
        label: "New password",
        type: "password",
        hint: NEW_PASSWORD_HINT,
        attributes: { autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 },
      },
    ],
    button: "Change my password",
    submit: async (values) => {
      const answer = await api("POST", "/api/user/password", values);
      session.start(answer.token, answer.user);
      accountView("Your password is changed. You are still signed in here, and signed out everywhere else.");
    },
  });
  const everywhere = h("div", { class: "form-error", role: "alert" });
  const signOutEverywhere = async () => {
    everywhere.replaceChildren();
    try {
      await api("POST", "/api/user/logout-everywhere");
    } catch (err) {
      if (err.status !== 401) {
        everywhere.replaceChildren(notice(err.message, err.unavailable ? "unavailable" : "error"));
        return;
      }
    }
    session.end();
    go("#/login?signed-out=everywhere");
  };
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Your account"),
      message ? notice(message, "info") : null,
      h("p", {}, "Signed in as ", h("strong", {}, user.username || ""), user.email ? ` (${user.email})` : ""),
      h("h2", {}, "Change your password"),
      element,
      h("h2", {}, "Sign out everywhere"),
      h("p", {}, "Ends every session of your account, on every device, this one included."),
      everywhere,
      h("button", { type: "button", class: "button", onclick: signOutEverywhere }, "Sign out everywhere"),
    ),
  );
}
