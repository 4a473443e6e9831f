// `#/login`.

import { api, session } from "../api.js";
import { currentPasswordField, form } from "../form.js";
import { go, h, nextHash, notice, show } from "../ui.js";

export function loginView() {
  const { element } = form({
    fields: [
      {
        name: "username",
        label: "Username",
        attributes: { autocomplete: "username", required: true, autocapitalize: "none" },
      },
      currentPasswordField("password", "Password"),
    ],
    button: "Log in",
    submit: async (values) => {
      const answer = await api("POST", "/api/user/login", values);
      session.start(answer.token, answer.user);
      go(nextHash());
    },
  });
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Log in"),
      signedOutEverywhere() ? notice("You are signed out on every device.", "info") : null,
      passwordReset()
        ? notice("Your new password is set, and every device is signed out. Log in with it.", "info")
        : null,
      element,
      h("p", {}, h("a", { href: "#/forgot" }, "Forgot your password?")),
      h(
        "p",
        {},
        "New here? ",
        h("a", { href: `#/register?next=${encodeURIComponent(nextHash())}` }, "Create an account"),
        ".",
      ),
    ),
  );
}

/** Whether the page was reached by signing out everywhere (`#/login?signed-out=everywhere`). */
function signedOutEverywhere() {
  return parameter("signed-out") === "everywhere";
}

/** Whether the page was reached by setting a new password (`#/login?reset=done`). */
function passwordReset() {
  return parameter("reset") === "done";
}

function parameter(name) {
  return new URLSearchParams(location.hash.split("?")[1] || "").get(name);
}
