// `#/register`, telling whether a username is free as it is typed.

import { api, session } from "../api.js";
import { form, newPasswordField } from "../form.js";
import { go, h, nextHash, sentence, show } from "../ui.js";

export function registerView() {
  const { element, inputs, errors } = form({
    fields: [
      {
        name: "username",
        label: "Username",
        hint: "3 to 32 letters, digits, dots, dashes or underscores.",
        attributes: { autocomplete: "username", required: true, autocapitalize: "none", minlength: 3, maxlength: 32 },
      },
      newPasswordField("password", "Password"),
      { name: "email", label: "E-mail", type: "email", attributes: { autocomplete: "email", required: true } },
      { name: "first_name", label: "First name", attributes: { autocomplete: "given-name", required: true } },
      { name: "last_name", label: "Last name", attributes: { autocomplete: "family-name", required: true } },
    ],
    button: "Create my account",
    submit: async (values) => {
      await api("POST", "/api/user/create", values);
      const answer = await api("POST", "/api/user/login", { username: values.username, password: values.password });
      session.start(answer.token, answer.user);
      go(nextHash());
    },
  });
  // Live feedback: is the name free? (Checked after typing pauses.)
  const username = inputs.get("username");
  const feedback = errors.get("username");
  let timer = null;
  username.addEventListener("input", () => {
    clearTimeout(timer);
    feedback.className = "field-error";
    feedback.textContent = "";
    const name = username.value.trim();
    if (name.length < 3) return;
    timer = setTimeout(async () => {
      try {
        await api("GET", `/api/user/${encodeURIComponent(name)}/exists`);
        if (username.value.trim() !== name) return;
        feedback.textContent = `The username ${name.toLowerCase()} is taken.`;
        username.setAttribute("aria-invalid", "true");
      } catch (err) {
        if (username.value.trim() !== name) return;
        if (err.status === 404) {
          feedback.className = "field-ok";
          feedback.textContent = `${name.toLowerCase()} is available.`;
          username.removeAttribute("aria-invalid");
        } else if (err.status === 400) {
          feedback.textContent = sentence("username", (err.fields && err.fields.username) || err.message);
        }
      }
    }, 300);
  });
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Create an account"),
      element,
      h("p", {}, "Already registered? ", h("a", { href: "#/login" }, "Log in"), "."),
    ),
  );
}
