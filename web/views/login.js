// `#/login`.

import { api, session } from "../api.js";
import { form } from "../form.js";
import { go, h, nextHash, show } from "../ui.js";

export function loginView() {
  const { element } = form({
    fields: [
      {
        name: "username",
        label: "Username",
        attributes: { autocomplete: "username", required: true, autocapitalize: "none" },
      },
      {
        name: "password",
        label: "Password",
        type: "password",
        attributes: { autocomplete: "current-password", required: true },
      },
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
      element,
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
