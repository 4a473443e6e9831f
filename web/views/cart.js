// `#/cart`: the open order, with quantities to change; or, after checkout and until it is paid,
// the order on its way, with what to do about it.

import { api, money, session } from "../api.js";
import { refreshCartCount } from "../header.js";
import { h, loading, notice, requireLogin, show, table } from "../ui.js";

export async function cartView() {
  if (!session.signedIn) return show(requireLogin("Your cart is kept with your account."));
  show(loading("Loading your cart…"));
  let order;
  try {
    order = await api("GET", "/api/order");
  } catch (err) {
    if (err.code === "no_open_order") order = null;
    else {
      return show(
        h(
          "section",
          {},
          h("h1", {}, "Your cart"),
          notice(
            err.unavailable
              ? "Your cart is unavailable right now. The catalogue still works; please try again in a moment."
              : err.message,
            err.unavailable ? "unavailable" : "error",
          ),
        ),
      );
    }
  }
  if (order && order.status !== "OPEN") {
    const failed = order.status === "PAYMENT_FAILED";
    return show(
      h(
        "section",
        {},
        h("h1", {}, "Your cart"),
        failed
          ? notice(`The payment for your last order failed: ${order.payment_failure}. Nothing was charged.`)
          : notice("Your last order is being paid. Adding an item starts a new cart.", "info"),
        h(
          "p",
          {},
          failed
            ? h("a", { href: `#/checkout/${order.id}`, class: "button primary" }, "Pay again with another card")
            : h("a", { href: `#/order/${order.id}`, class: "button primary" }, "See the order"),
          " ",
          h("a", { href: "#/", class: "button" }, "Browse the catalogue"),
        ),
      ),
    );
  }
  if (!order || order.lines.length === 0) {
    return show(
      h(
        "section",
        {},
        h("h1", {}, "Your cart"),
        notice("Your cart is empty.", "info"),
        h("p", {}, h("a", { href: "#/", class: "button" }, "Browse the catalogue")),
      ),
    );
  }
  const message = h("div", { role: "alert" });
  const rows = order.lines.map((line) => {
    const id = `line-${line.product_id}`;
    const qty = h("input", {
      type: "number",
      id,
      min: 0,
      max: 99,
      value: line.quantity,
      class: "qty",
      inputmode: "numeric",
    });
    const update = async (quantity) => {
      message.replaceChildren();
      try {
        await api("POST", "/api/order/update-item", { product_id: line.product_id, qty: quantity });
        refreshCartCount();
        cartView();
      } catch (err) {
        message.replaceChildren(notice(err.message, err.unavailable ? "unavailable" : "error"));
      }
    };
    qty.addEventListener("change", () => {
      const quantity = Number(qty.value);
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > 99) {
        message.replaceChildren(notice(`Choose a quantity from 0 to 99 for ${line.name}.`));
        return;
      }
      update(quantity);
    });
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, h("a", { href: `#/product/${encodeURIComponent(line.product_id)}` }, line.name)),
      h("td", { class: "number" }, money(line.unit_price, order.currency)),
      h("td", {}, h("label", { for: id, class: "visually-hidden" }, `Quantity of ${line.name}`), qty),
      h("td", { class: "number" }, money(line.line_total, order.currency)),
      h(
        "td",
        {},
        h(
          "button",
          { type: "button", class: "link", onclick: () => update(0), "aria-label": `Remove ${line.name}` },
          "Remove",
        ),
      ),
    );
  });
  show(
    h(
      "section",
      {},
      h("h1", {}, "Your cart"),
      message,
      table(
        [
          "Item",
          ["Price", "number"],
          "Quantity",
          ["Amount", "number"],
          h("span", { class: "visually-hidden" }, "Remove"),
        ],
        rows,
        money(order.total, order.currency),
      ),
      h(
        "p",
        { class: "actions" },
        h("a", { href: "#/", class: "button" }, "Keep shopping"),
        h("a", { href: "#/checkout", class: "button primary" }, "Check out"),
      ),
    ),
  );
}
