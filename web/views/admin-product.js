// `#/admin/product/<slug>`: editing one product, or retiring it.
//
// An edit names the version of the product it was made on. When someone else saved the product
// in between, the API saves nothing and says so; the page keeps what the admin typed until they
// choose to reload the product as it is now.

import { amount, api, current, money } from "../api.js";
import { form } from "../form.js";
import { h, loading, notice, show } from "../ui.js";
import { categorySuggestions, notAdmin, productBody, productFields } from "./admin-shared.js";
import { retireControl } from "./admin-retire.js";

function back() {
  return h("a", { href: "#/admin/products" }, "← All products on sale");
}

export async function adminProductView(slug) {
  const refused = notAdmin();
  if (refused) return show(refused);
  show(loading("Loading the product…"));
  await load(slug);
}

/** Loads the product and shows it; `said(product)`, when given, is a notice to show above it. */
async function load(slug, said = null) {
  let product;
  try {
    product = await api("GET", current(`/api/product/${encodeURIComponent(slug)}`));
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
        h("p", {}, back()),
      ),
    );
    return;
  }
  render(product, said);
}

function render(product, said) {
  const retired = product.status === "retired";
  document.title = `${retired ? "" : "Edit "}${product.name} · Serverless Shop`;
  // What the edit form updates after a save, which the retire control reads too.
  const shown = {
    product,
    heading: h("h1", {}, retired ? product.name : `Edit ${product.name}`),
    version: h("dd", {}, String(product.version)),
  };
  show(
    h(
      "section",
      { class: "narrow" },
      shown.heading,
      h(
        "p",
        {},
        back(),
        " · ",
        h("a", { href: `#/product/${encodeURIComponent(product.slug)}` }, "See it in the shop"),
      ),
      said ? said(product) : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Slug"),
        h("dd", {}, h("code", {}, product.slug)),
        h("dt", {}, "Currency"),
        h("dd", {}, product.currency),
        h("dt", {}, "Version"),
        shown.version,
        h("dt", {}, "Status"),
        h("dd", {}, retired ? "Retired" : "On sale"),
      ),
      retired
        ? notice("This product is retired: it is no longer sold, so it cannot be edited.", "info")
        : [
            editForm(product, shown),
            retireControl(
              () => shown.product,
              (now) =>
                render(now, (p) =>
                  notice(`Retired ${p.name}: it has left the catalogue, and customers can no longer buy it.`, "info"),
                ),
            ),
          ],
    ),
  );
  // After an action on this page (not a navigation, which show() handles), the page it replaced
  // is gone: start again from the top, where the notice says what happened.
  if (said) {
    shown.heading.setAttribute("tabindex", "-1");
    shown.heading.focus();
  }
}

/** The edit form; it sends the version last loaded or saved, and says what became of the save. */
function editForm(product, shown) {
  let loaded = product;
  const outcome = h("div", { role: "status" });
  const fields = productFields(product);
  const { element, inputs } = form({
    fields: [fields.name, fields.description, fields.image, fields.price, fields.category],
    extra: [outcome, categorySuggestions()],
    button: "Save the changes",
    submit: async (values, { fail }) => {
      outcome.replaceChildren();
      const body = productBody(values, fail);
      if (!body) return;
      try {
        const path = `/api/product/${encodeURIComponent(loaded.slug)}`;
        loaded = await api("PUT", path, { ...body, version: loaded.version });
      } catch (err) {
        if (err.code !== "product_changed" && err.code !== "product_retired") throw err;
        outcome.replaceChildren(conflict(err, loaded.slug));
        return;
      }
      // The form shows what was saved (the API trims and tidies), and the next save names this version.
      for (const name of ["name", "description", "image", "category"]) inputs.get(name).value = loaded[name];
      inputs.get("price").value = amount(loaded.price);
      shown.product = loaded;
      shown.heading.textContent = `Edit ${loaded.name}`;
      shown.version.textContent = String(loaded.version);
      document.title = `Edit ${loaded.name} · Serverless Shop`;
      outcome.replaceChildren(
        notice(
          `Your changes are saved: ${loaded.name} costs ${money(loaded.price, loaded.currency)}, ` +
            `in ${loaded.category}. This is version ${loaded.version}.`,
          "info",
        ),
      );
    },
  });
  return element;
}

/** Why nothing was saved, and a way to load the product as it is now, which the admin chooses. */
function conflict(err, slug) {
  const changed = err.code === "product_changed";
  const reload = h("button", { type: "button", class: "button" }, "Reload the current product");
  reload.addEventListener("click", () => {
    reload.disabled = true;
    load(slug, (product) =>
      product.status === "retired"
        ? null
        : notice(`This is the product as it is now, at version ${product.version}. Make your change again.`, "info"),
    );
  });
  return h(
    "div",
    { class: "conflict" },
    notice(
      changed ? "This product was changed by someone else since you opened it, so nothing was saved." : err.message,
    ),
    changed ? h("p", {}, "Your text is still in the form. Reloading replaces it with the product as it is now.") : null,
    h("p", {}, reload),
  );
}
