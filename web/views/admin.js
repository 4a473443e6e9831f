// `#/admin`: adding a product to the catalogue.

import { api, money } from "../api.js";
import { form } from "../form.js";
import { h, notice, show } from "../ui.js";
import { adminLinks, categorySuggestions, notAdmin, productBody, productFields } from "./admin-shared.js";

export function adminView() {
  const refused = notAdmin();
  if (refused) return show(refused);
  const created = h("div", { role: "status" });
  const fields = productFields();
  const { element, inputs } = form({
    fields: [
      fields.name,
      {
        name: "slug",
        label: "Slug (its address)",
        hint: "Lower-case letters, digits and single hyphens, such as enamel-camp-mug.",
        attributes: { required: true, autocapitalize: "none" },
      },
      fields.description,
      fields.image,
      fields.price,
      { name: "currency", label: "Currency", type: "select", options: ["EUR", "GBP", "USD"] },
      fields.category,
    ],
    extra: categorySuggestions(),
    button: "Add the product",
    submit: async (values, { fail }) => {
      created.replaceChildren();
      const body = productBody(values, fail);
      if (!body) return;
      const product = await api("POST", "/api/product/create", body);
      created.replaceChildren(
        notice(`Added ${product.name} to ${product.category} at ${money(product.price, product.currency)}.`, "info"),
        h("p", {}, h("a", { href: `#/product/${encodeURIComponent(product.slug)}` }, "See it in the shop")),
      );
      for (const input of inputs.values()) if (input.tagName !== "SELECT") input.value = "";
    },
  });
  // Suggest a slug from the name.
  inputs.get("name").addEventListener("input", () => {
    const slug = inputs.get("slug");
    if (slug.dataset.edited) return;
    slug.value = inputs
      .get("name")
      .value.toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 64);
  });
  inputs.get("slug").addEventListener("input", (event) => {
    event.target.dataset.edited = "yes";
  });
  show(h("section", { class: "narrow" }, h("h1", {}, "Add a product"), adminLinks("#/admin"), created, element));
}
