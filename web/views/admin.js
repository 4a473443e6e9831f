// `#/admin`: adding a product to the catalogue.

import { api, ApiError, money, parseMoney, session } from "../api.js";
import { form } from "../form.js";
import { h, notice, requireLogin, show } from "../ui.js";

export function adminView() {
  const user = session.user;
  if (!user) return show(requireLogin("The admin pages are for administrators."));
  if (user.role !== "admin")
    return show(h("section", {}, h("h1", {}, "Admin"), notice("This page is for administrators.")));
  const created = h("div", { role: "status" });
  const { element, inputs } = form({
    fields: [
      { name: "name", label: "Name", attributes: { required: true, maxlength: 120 } },
      {
        name: "slug",
        label: "Slug (its address)",
        hint: "Lower-case letters, digits and single hyphens, such as enamel-camp-mug.",
        attributes: { required: true, autocapitalize: "none" },
      },
      {
        name: "description",
        label: "Description",
        type: "textarea",
        attributes: { required: true, rows: 4, maxlength: 2000 },
      },
      {
        name: "image",
        label: "Image address",
        hint: "An https:// address, or a path on this site such as /images/products/enamel-camp-mug.svg.",
        attributes: { required: true },
      },
      {
        name: "price",
        label: "Price",
        hint: "For example 12.50",
        attributes: { required: true, inputmode: "decimal" },
      },
      { name: "currency", label: "Currency", type: "select", options: ["EUR", "GBP", "USD"] },
    ],
    button: "Add the product",
    submit: async (values, { fail }) => {
      created.replaceChildren();
      const price = parseMoney(values.price);
      if (price === null) {
        fail(new ApiError(400, "validation_failed", "Check the price.", { price: "must be an amount such as 12.50" }));
        return;
      }
      const product = await api("POST", "/api/product/create", { ...values, price });
      created.replaceChildren(
        notice(`Added ${product.name} at ${money(product.price, product.currency)}.`, "info"),
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
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Add a product"),
      h("p", {}, h("a", { href: "#/orders" }, "See orders")),
      created,
      element,
    ),
  );
}
