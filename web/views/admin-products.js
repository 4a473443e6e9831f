// `#/admin/products`: every product on sale, each with a link to edit it.

import { api, current, money } from "../api.js";
import { h, loading, notice, plain, show, table } from "../ui.js";
import { adminLinks, notAdmin } from "./admin-shared.js";

function productRow(product) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, h("a", { href: `#/product/${encodeURIComponent(product.slug)}` }, product.name)),
    h("td", {}, product.category),
    h("td", { class: "number" }, money(product.price, product.currency)),
    h(
      "td",
      {},
      // Every row's link reads "Edit": the hidden name tells a screen reader's list of links apart.
      h(
        "a",
        { href: `#/admin/product/${encodeURIComponent(product.slug)}` },
        "Edit",
        h("span", { class: "visually-hidden" }, ` ${product.name}`),
      ),
    ),
  );
}

/** Every product on sale, a page of the API at a time; what arrived before a failure, and the failure. */
async function productsOnSale() {
  const products = [];
  let cursor = null;
  try {
    do {
      const query = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : "?limit=100";
      const data = await api("GET", current(`/api/products${query}`));
      products.push(...data.products);
      cursor = data.next_cursor;
    } while (cursor);
    return { products, error: null };
  } catch (err) {
    return { products, error: err };
  }
}

export async function adminProductsView() {
  const refused = notAdmin();
  if (refused) return show(refused);
  const status = h("div", {}, loading("Loading the products…"));
  const list = h("div");
  show(h("section", {}, h("h1", {}, "Products on sale"), adminLinks("#/admin/products"), status, list));
  const { products, error } = await productsOnSale();
  if (error) {
    const partly = products.length ? ` Only the first ${products.length} products are listed.` : "";
    status.replaceChildren(
      notice(
        error.unavailable
          ? `The catalogue is unavailable right now. Please try again in a moment.${partly}`
          : `${plain(error.message)}${partly}`,
        error.unavailable ? "unavailable" : "error",
      ),
    );
  } else {
    const count = { 0: "No product is on sale.", 1: "1 product is on sale." }[products.length];
    status.replaceChildren(notice(count || `${products.length} products are on sale.`, "info"));
  }
  if (products.length) {
    list.replaceChildren(
      table(
        ["Name", "Category", ["Price", "number"], h("span", { class: "visually-hidden" }, "Edit")],
        products.map(productRow),
      ),
    );
  }
}
