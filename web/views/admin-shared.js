// What the admin pages share: who may see them, and the fields of a product that an
// administrator writes (the "Add a product" form and the edit form ask for them the same way).

import { amount, api, ApiError, parseMoney, session } from "../api.js";
import { h, notice, requireLogin } from "../ui.js";

const SUGGESTIONS = "category-suggestions";

const ADMIN_PAGES = [
  ["#/admin", "Add a product"],
  ["#/admin/products", "Products on sale"],
  ["#/orders", "See orders"],
  ["#/admin/reports", "Sales reports"],
];

/** The links to the other admin pages than `current` (its address). */
export function adminLinks(current) {
  const links = ADMIN_PAGES.filter(([href]) => href !== current).map(([href, label]) => h("a", { href }, label));
  return h("p", {}, ...links.flatMap((link, i) => (i ? [" · ", link] : [link])));
}

/**
 * The page to show instead of an admin page when the visitor is not an administrator, or null.
 * The API refuses them anyway; this only spares them a form they cannot use.
 */
export function notAdmin() {
  const user = session.user;
  if (!user) return requireLogin("The admin pages are for administrators.");
  if (user.role !== "admin") return h("section", {}, h("h1", {}, "Admin"), notice("This page is for administrators."));
  return null;
}

/**
 * The fields for name, description, image, price and category, filled from `product` when it is
 * given (the price in major units, as people type it). Each view lays them out with its own.
 */
export function productFields(product = null) {
  const value = (name) => (product ? product[name] : undefined);
  return {
    name: { name: "name", label: "Name", value: value("name"), attributes: { required: true, maxlength: 120 } },
    description: {
      name: "description",
      label: "Description",
      type: "textarea",
      value: value("description"),
      attributes: { required: true, rows: 4, maxlength: 2000 },
    },
    image: {
      name: "image",
      label: "Image address",
      hint: "An https:// address, or a path on this site such as /images/products/enamel-camp-mug.svg.",
      value: value("image"),
      attributes: { required: true },
    },
    price: {
      name: "price",
      label: "Price",
      hint: product ? `In ${product.currency}, for example 12.50` : "For example 12.50",
      value: product ? amount(product.price) : undefined,
      attributes: { required: true, inputmode: "decimal" },
    },
    category: {
      name: "category",
      label: "Category",
      hint: "Pick one of the shop's categories, or type a new one.",
      value: value("category"),
      attributes: { required: true, maxlength: 40, list: SUGGESTIONS, autocomplete: "off" },
    },
  };
}

/**
 * The category field's suggestions: the shop's categories, filled in once they arrive. Without
 * them (the call failed) the field is still an ordinary text field, so nothing is said.
 */
export function categorySuggestions() {
  const list = h("datalist", { id: SUGGESTIONS });
  api("GET", "/api/categories")
    .then((data) => list.replaceChildren(...data.categories.map((category) => h("option", { value: category.name }))))
    .catch(() => {});
  return list;
}

/**
 * The form's values as the API takes them (the price in minor units), or null once `fail` shows
 * what to fix. The API would file a product without a category under "Other"; the form asks for one.
 */
export function productBody(values, fail) {
  const fields = {};
  const price = parseMoney(values.price);
  if (price === null) fields.price = "must be an amount such as 12.50";
  if (!values.category.trim()) fields.category = "must not be empty";
  if (Object.keys(fields).length) {
    fail(new ApiError(400, "validation_failed", "Check the highlighted fields.", fields));
    return null;
  }
  return { ...values, price };
}
