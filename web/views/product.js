// `#/product/<slug>`: one product.

import { api, money } from "../api.js";
import { h, loading, notice, show } from "../ui.js";
import { addToCartControl } from "./add-to-cart.js";

export async function productView(slug) {
  show(loading("Loading the product…"));
  try {
    const product = await api("GET", `/api/product/${encodeURIComponent(slug)}`);
    document.title = `${product.name} · Serverless Shop`;
    show(
      h(
        "article",
        { class: "product" },
        h("img", { src: product.image, alt: product.name, width: 400, height: 400 }),
        h(
          "div",
          { class: "product-details" },
          h("h1", {}, product.name),
          h("p", { class: "price large" }, money(product.price, product.currency)),
          h("p", { class: "description" }, product.description),
          // A retired product's page stays, for links and orders that hold it, but it is not sold.
          product.status === "retired" ? notice("This product is no longer sold.", "info") : addToCartControl(product),
          h("p", {}, h("a", { href: "#/" }, "← Back to the catalogue")),
        ),
      ),
    );
  } catch (err) {
    show(
      h(
        "section",
        {},
        h("h1", {}, err.status === 404 ? "No such product" : "Product unavailable"),
        notice(
          err.status === 404 ? "That product is not in the shop." : err.message,
          err.unavailable ? "unavailable" : "error",
        ),
        h("p", {}, h("a", { href: "#/" }, "← Back to the catalogue")),
      ),
    );
  }
}
