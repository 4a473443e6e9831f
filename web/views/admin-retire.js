// The edit page's "Retire this product": it asks first, in the page. (window.confirm would block
// the page, could not be styled, and reads to a screen reader as an interruption from nowhere.)

import { api } from "../api.js";
import { h, notice } from "../ui.js";

/**
 * The control for the product `current()` returns (the edit form may have renamed it); `retired`
 * is called with the product once the API has retired it.
 */
export function retireControl(current, retired) {
  const area = h("div");
  const start = h("button", { type: "button", class: "button danger" }, "Retire this product");
  start.addEventListener("click", ask);
  area.append(start);

  function ask() {
    const product = current();
    const question = h(
      "p",
      { id: "retire-question", class: "question", tabindex: "-1" },
      `Retire ${product.name}? Customers will no longer be able to buy it, and this page cannot undo it.`,
    );
    const error = h("div");
    const yes = h("button", { type: "button", class: "button primary danger" }, "Yes, retire it");
    const no = h("button", { type: "button", class: "button" }, "No, keep it on sale");
    yes.addEventListener("click", async () => {
      error.replaceChildren();
      yes.disabled = no.disabled = true;
      try {
        retired(await api("DELETE", `/api/product/${encodeURIComponent(product.slug)}`));
      } catch (err) {
        error.replaceChildren(notice(err.message, err.unavailable ? "unavailable" : "error"));
        yes.disabled = no.disabled = false;
      }
    });
    no.addEventListener("click", () => {
      area.replaceChildren(start);
      start.focus();
    });
    area.replaceChildren(
      h(
        "div",
        { class: "confirm", role: "group", "aria-labelledby": "retire-question" },
        question,
        error,
        h("p", { class: "actions start" }, yes, no),
      ),
    );
    // The question replaces the button that had the focus: read it out, then Tab reaches the answers.
    question.focus();
  }

  return h(
    "section",
    { class: "panel retire", "aria-labelledby": "retire-heading" },
    h("h2", { id: "retire-heading" }, "Take it off sale"),
    h(
      "p",
      {},
      "A retired product leaves the catalogue and can no longer be added to a cart. Orders that hold it keep it, " +
        "and its page stays, saying it is no longer sold.",
    ),
    area,
  );
}
