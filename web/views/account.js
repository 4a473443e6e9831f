// `#/account`: the signed-in customer's account: who they are, whether their e-mail address is
// confirmed (and a new link if not), changing the address or the password, signing out on every
// device, and deleting the account.

import { api, session } from "../api.js";
import { currentPasswordField, form, newPasswordField } from "../form.js";
import { go, h, loading, notice, requireLogin, show } from "../ui.js";

export function accountView(message = null) {
  if (!session.signedIn) return show(requireLogin("Log in to manage your account."));
  const user = session.user || {};
  const changeEmail = form({
    prefix: "email-change",
    fields: [
      {
        name: "email",
        label: "New e-mail address",
        type: "email",
        attributes: { autocomplete: "email", required: true, maxlength: 254 },
      },
      currentPasswordField(),
    ],
    button: "Change my address",
    submit: async (values) => {
      const changed = await api("POST", "/api/user/email", values);
      session.update(changed);
      accountView(
        changed.pending_email
          ? `We e-mailed a link to ${changed.pending_email}: your address changes when you open it, signed in.`
          : "The change of address is cancelled.",
      );
    },
  });
  const { element } = form({
    fields: [currentPasswordField(), newPasswordField()],
    button: "Change my password",
    submit: async (values) => {
      const answer = await api("POST", "/api/user/password", values);
      session.start(answer.token, answer.user);
      accountView("Your password is changed. You are still signed in here, and signed out everywhere else.");
    },
  });
  const deletion = form({
    prefix: "delete",
    fields: [currentPasswordField()],
    button: "Delete my account",
    submit: async (values) => {
      await api("DELETE", "/api/user", values);
      session.end();
      show(
        h(
          "section",
          { class: "narrow" },
          h("h1", {}, "Your account is deleted"),
          notice("You are signed out on every device, and your account cannot be used again.", "info"),
          h("p", {}, h("a", { href: "#/" }, "Back to the shop")),
        ),
      );
    },
  });
  deletion.element.querySelector("button[type=submit]").classList.add("danger");
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
      emailStatus(),
      h("h2", {}, "Change your e-mail address"),
      h(
        "p",
        {},
        "We e-mail the new address a link. Your address changes when you open it; until then, everything goes to the one you have.",
      ),
      changeEmail.element,
      h("h2", {}, "Change your password"),
      element,
      h("h2", {}, "Sign out everywhere"),
      h("p", {}, "Ends every session of your account, on every device, this one included."),
      everywhere,
      h("button", { type: "button", class: "button", onclick: signOutEverywhere }, "Sign out everywhere"),
      user.role === "admin" ? null : deleteSection(deletion.element),
    ),
  );
}

/** Deleting the account: what goes, what stays, and the form that does it. */
function deleteSection(formElement) {
  return h(
    "section",
    { class: "danger-zone", "aria-labelledby": "delete-heading" },
    h("h2", { id: "delete-heading" }, "Delete your account"),
    h(
      "p",
      {},
      "This cannot be undone. Your account goes at once, and within minutes your cart, saved card and receipts; " +
        "orders you paid for stay in our books without your name or address. Nobody else can take your username " +
        "for 90 days.",
    ),
    formElement,
  );
}

/** Whether the address is confirmed, read afresh; if not, a button that e-mails a new link. */
function emailStatus() {
  const box = h("div", { class: "email-status" }, loading("Checking your e-mail address…"));
  const render = (user) => {
    if (user.email_verified && !user.pending_email) {
      box.replaceChildren(h("p", {}, `Your e-mail address ${user.email} is confirmed.`));
      return;
    }
    const outcome = h("div", { "aria-live": "polite" });
    const resend = async (event) => {
      event.target.disabled = true;
      try {
        const answer = await api("POST", "/api/user/verify/resend");
        outcome.replaceChildren(notice(`We sent a new link to ${answer.email}. It works for 24 hours.`, "info"));
      } catch (err) {
        if (err.code === "already_verified") return render({ ...user, email_verified: true, pending_email: undefined });
        outcome.replaceChildren(notice(err.message, err.unavailable ? "unavailable" : "error"));
      } finally {
        event.target.disabled = false;
      }
    };
    const waiting = user.pending_email
      ? `You asked to change your e-mail address to ${user.pending_email}. We e-mailed a link to it: ` +
        `open it, signed in, to make the change (or "change" to ${user.email} below to cancel). Until then we use ${user.email}.`
      : `Your e-mail address ${user.email} is not confirmed yet. We e-mailed you a link: open it to confirm the address.`;
    box.replaceChildren(
      notice(`${waiting} No e-mail? Check your spam folder, or ask for a new link.`, "info"),
      h("button", { type: "button", class: "button", onclick: resend }, "E-mail me a new link"),
      outcome,
    );
  };
  api("GET", "/api/user")
    .then((user) => {
      session.update(user);
      render(user);
    })
    .catch((err) => box.replaceChildren(notice(err.message, err.unavailable ? "unavailable" : "error")));
  return box;
}
