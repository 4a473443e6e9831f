// A form with labelled fields that shows the API's field errors beside the fields they concern.

import { ApiError } from "./api.js";
import { h, notice, sentence } from "./ui.js";

/** What a new password must be, as the users service checks it. */
const NEW_PASSWORD_HINT = "At least 8 characters, and not one of the passwords most often guessed.";

/** The field where a new password is chosen, with its rules as the users service checks them. */
export function newPasswordField(name = "new_password", label = "New password") {
  return {
    name,
    label,
    type: "password",
    hint: NEW_PASSWORD_HINT,
    attributes: { autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 },
  };
}

/** The field of the password a person has: the current one on the account page, the one they log in with. */
export function currentPasswordField(name = "current_password", label = "Current password") {
  return { name, label, type: "password", attributes: { autocomplete: "current-password", required: true } };
}

/**
 * A form with labelled fields, per-field errors and a form-level error, that calls `submit` with
 * the values. `fields` are { name, label, type, ... } and may carry `hint` and `attributes`. `prefix`
 * keeps the fields' ids apart from those of another form on the same page.
 */
export function form({ fields, button, submit, extra = null, prefix = "field" }) {
  const errors = new Map();
  const formError = h("div", { class: "form-error", role: "alert" });
  const inputs = new Map();
  const rows = fields.map((field) => {
    const id = `${prefix}-${field.name}`;
    const error = h("p", { class: "field-error", id: `${id}-error` });
    errors.set(field.name, error);
    const describedBy = [field.hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
    const common = { id, name: field.name, "aria-describedby": describedBy, ...(field.attributes || {}) };
    const input =
      field.type === "textarea"
        ? h("textarea", common)
        : field.type === "select"
          ? h(
              "select",
              common,
              field.options.map((option) => h("option", { value: option }, option)),
            )
          : h("input", { type: field.type || "text", ...common });
    if (field.value !== undefined) input.value = field.value;
    inputs.set(field.name, input);
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, field.label),
      input,
      field.hint ? h("p", { class: "hint", id: `${id}-hint` }, field.hint) : null,
      error,
    );
  });
  const submitButton = h("button", { type: "submit", class: "button primary" }, button);
  const element = h("form", { novalidate: true }, formError, rows, extra, submitButton);

  function clear() {
    formError.replaceChildren();
    for (const [name, error] of errors) {
      error.textContent = "";
      inputs.get(name).removeAttribute("aria-invalid");
    }
  }

  function fail(err) {
    const fieldErrors = (err && err.fields) || {};
    let first = null;
    for (const [name, message] of Object.entries(fieldErrors)) {
      const error = errors.get(name);
      if (!error) continue;
      error.textContent = sentence(name, message);
      inputs.get(name).setAttribute("aria-invalid", "true");
      first = first || inputs.get(name);
    }
    const unplaced = Object.keys(fieldErrors).some((name) => !errors.has(name));
    if (!first || unplaced) {
      formError.replaceChildren(notice(err.message || "That did not work.", err.unavailable ? "unavailable" : "error"));
    }
    (first || formError).focus?.();
  }

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const values = Object.fromEntries([...inputs].map(([name, input]) => [name, input.value]));
    submitButton.disabled = true;
    try {
      await submit(values, { fail, inputs, errors });
    } catch (err) {
      if (err instanceof ApiError) fail(err);
      else fail(new ApiError(0, "client", String(err.message || err)));
    } finally {
      submitButton.disabled = false;
    }
  });
  return { element, inputs, errors, fail };
}
