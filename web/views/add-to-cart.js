// The quantity field and "Add to cart" button of the catalogue and the product page.

import { api, session } from "../api.js";
import { refreshCartCount } from "../header.js";
import { h, plain } from "../ui.js";

/** Quantity and "Add to cart", with the answer shown right beside them. */
export function addToCartControl(product, { compact = false } = {}) {
  const id = `qty-${product.slug}${compact ? "-card" : ""}`;
  const quantity = h("input", { type: "number", id, min: 1, max: 99, value: 1, inputmode: "numeric", class: "qty" });
  const message = h("p", { class: "inline-message", role: "status" });
  const button = h("button", { type: "submit", class: "button primary" }, "Add to cart");
  const element = h(
    "form",
    { class: compact ? "add compact" : "add" },
    h("label", { for: id, class: compact ? "visually-hidden" : "" }, `Quantity of ${product.name}`),
    h("div", { class: "row" }, quantity, button),
    message,
  );
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.className = "inline-message";
    if (!session.signedIn) {
      message.replaceChildren(
        "Please ",
        h("a", { href: `#/login?next=${encodeURIComponent(location.hash || "#/")}` }, "log in"),
        " to add to your cart.",
      );
      return;
    }
    const qty = Number(quantity.value);
    if (!Number.isInteger(qty) || qty < 1 || qty > 99) {
      message.classList.add("error");
      message.textContent = "Choose a quantity from 1 to 99.";
      return;
    }
    button.disabled = true;
    try {
      const order = await api("POST", "/api/order/add-item", { product_id: product.slug, qty });
      message.classList.add("ok");
      message.replaceChildren("Added. ", h("a", { href: "#/cart" }, `View cart (${order.item_count})`));
      refreshCartCount();
    } catch (err) {
      message.classList.add("error");
      message.textContent =
        err.code === "storage_unavailable"
          ? "Your cart is unavailable right now. Please try again in a moment."
          : plain(err.message);
    } finally {
      button.disabled = false;
    }
  });
  return element;
}
