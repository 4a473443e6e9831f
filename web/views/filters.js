// The listing's filters: the categories with how many products match in each, the sort, and a
// price range typed in major units (12.50) and sent in minor units (1250), as the API takes it.
// A category or a sort applies as soon as it is chosen; the prices when the form is sent.

import { amount, parseMoney } from "../api.js";
import { h } from "../ui.js";
import { SORTS } from "../search.js";

/** Without words there is nothing to be relevant to: the API then sorts by name. */
const BROWSE_SORTS = [["", "Name"], ...SORTS.filter(([value]) => value.startsWith("price_"))];

/**
 * The filters, calling `change` with the search as the customer wants it now; `update` shows a
 * search and its answer's category counts (`facets.categories`).
 */
export function filtersPanel(change) {
  let current = null;
  let shownPrices = null;
  const categories = h("div", { class: "choices" });
  const sort = h("select", { id: "sort" });
  const error = h("p", { class: "field-error", id: "price-error", role: "alert" });
  const priceInput = (id) =>
    h("input", { id, inputmode: "decimal", autocomplete: "off", "aria-describedby": "price-hint price-error" });
  const min = priceInput("min-price");
  const max = priceInput("max-price");
  const element = h(
    "form",
    { class: "filters-panel", "aria-label": "Filter and sort", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Category"), categories),
    h("div", { class: "field" }, h("label", { for: "sort" }, "Sort by"), sort),
    h(
      "fieldset",
      { class: "price-range" },
      h("legend", {}, "Price"),
      h("div", { class: "field" }, h("label", { for: "min-price" }, "Lowest price"), min),
      h("div", { class: "field" }, h("label", { for: "max-price" }, "Highest price"), max),
      h("p", { class: "hint", id: "price-hint" }, "For example 12.50; leave empty for any."),
      error,
      h("button", { type: "submit", class: "button small" }, "Apply"),
    ),
  );

  categories.addEventListener("change", (event) => change({ ...current, category: event.target.value }));
  sort.addEventListener("change", () => change({ ...current, sort: sort.value }));
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const bounds = [min, max].map((input) => (input.value.trim() ? parseMoney(input.value) : ""));
    const wrong = bounds.some((bound) => bound === null);
    const crossed = !wrong && bounds[0] !== "" && bounds[1] !== "" && bounds[0] > bounds[1];
    error.textContent = wrong
      ? "Type prices as amounts, such as 12.50."
      : crossed
        ? "The lowest price is above the highest."
        : "";
    for (const input of [min, max]) input.toggleAttribute("aria-invalid", wrong || crossed);
    if (wrong || crossed) return;
    change({ ...current, min_price: String(bounds[0]), max_price: String(bounds[1]) });
  });

  function update(search, facets) {
    current = search;
    showCategories(search.category, facets.categories);
    showSorts(search);
    // The prices typed stay until the search's own change: typing words must not undo them.
    const prices = `${search.min_price}-${search.max_price}`;
    if (prices !== shownPrices) {
      shownPrices = prices;
      min.value = search.min_price ? amount(Number(search.min_price)) : "";
      max.value = search.max_price ? amount(Number(search.max_price)) : "";
      error.textContent = "";
    }
  }

  function showCategories(chosen, counts) {
    // The category chosen stays listed when nothing in it matches, so it can be seen and left.
    const listed = chosen && !counts.some((c) => c.name === chosen) ? [...counts, { name: chosen, count: 0 }] : counts;
    const all = counts.reduce((sum, c) => sum + c.count, 0);
    // Counts change as the customer types; whoever is on a category keeps their place.
    const focused = categories.contains(document.activeElement) ? document.activeElement.value : null;
    categories.replaceChildren(
      choice("", "All categories", all, !chosen),
      ...listed.map((c) => choice(c.name, c.name, c.count, c.name === chosen)),
    );
    if (focused !== null) {
      [...categories.querySelectorAll("input")].find((input) => input.value === focused)?.focus();
    }
  }

  function showSorts(search) {
    const options = search.q ? SORTS : BROWSE_SORTS;
    const value = options.some(([v]) => v === search.sort) && search.sort !== "relevance" ? search.sort : "";
    if (sort.options.length !== options.length) {
      sort.replaceChildren(...options.map(([v, label]) => h("option", { value: v }, label)));
    }
    sort.value = value;
  }

  return { element, update };
}

/** One category: a radio button named with the category and how many products match in it. */
function choice(value, label, count, checked) {
  return h(
    "label",
    { class: "choice" },
    h("input", { type: "radio", name: "category", value, checked }),
    h("span", {}, label, " ", h("span", { class: "facet-count" }, `(${count})`)),
  );
}
