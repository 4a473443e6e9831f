// `#/`: the catalogue, a page at a time.

import { api, money } from "../api.js";
import { h, loading, notice, show } from "../ui.js";
import { addToCartControl } from "./add-to-cart.js";

function productCard(product) {
  return h(
    "li",
    { class: "card" },
    h(
      "a",
      { href: `#/product/${encodeURIComponent(product.slug)}`, class: "card-link" },
      h("img", { src: product.image, alt: "", width: 400, height: 400, loading: "lazy" }),
      h("span", { class: "card-name" }, product.name),
    ),
    h("p", { class: "price" }, money(product.price, product.currency)),
    addToCartControl(product, { compact: true }),
  );
}

export async function catalogueView() {
  const list = h("ul", { class: "grid", "aria-label": "Products" });
  const more = h("button", { type: "button", class: "button", hidden: true }, "Show more");
  const status = h("div");
  show(h("section", {}, h("h1", {}, "Everything in the shop"), status, list, h("p", { class: "more" }, more)));
  let cursor = null;
  async function page() {
    status.replaceChildren(loading("Loading the catalogue…"));
    more.disabled = true;
    try {
      const query = cursor ? `?limit=12&cursor=${encodeURIComponent(cursor)}` : "?limit=12";
      const data = await api("GET", `/api/products${query}`);
      list.append(...data.products.map(productCard));
      cursor = data.next_cursor;
      more.hidden = !cursor;
      status.replaceChildren(
        data.products.length || list.children.length ? "" : notice("The shop has no products yet.", "info"),
      );
    } catch (err) {
      status.replaceChildren(
        notice(
          err.unavailable
            ? "The catalogue is unavailable right now. You can still log in, register and see your orders."
            : err.message,
          err.unavailable ? "unavailable" : "error",
        ),
      );
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", page);
  await page();
}
