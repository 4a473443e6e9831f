// What the catalogue shows, as the address holds it: `#/search?q=brass&category=Home&sort=price_asc`
// (or `#/?category=Home` without words), so a reload, a bookmark or a shared link shows the same.
// The parameters are the API's own (prices in minor units), so the address and GET /api/search
// never disagree about what they mean.

/** The orders results can come in, as the sort menu words them; "" is the API's default. */
export const SORTS = [
  ["", "Relevance"],
  ["price_asc", "Price, low to high"],
  ["price_desc", "Price, high to low"],
  ["name", "Name"],
];

const PRICE = /^\d{1,9}$/;

/** Whether `hash` is the catalogue's or the search's page (both are the one listing). */
export function isListing(hash = location.hash) {
  const path = (hash || "#/").split("?")[0];
  return path === "#" || path === "#/" || path === "#/search";
}

/** The search in `hash`: { q, category, sort, min_price, max_price }, each "" when not asked for. */
export function readSearch(hash = location.hash) {
  const params = new URLSearchParams((hash || "").split("?")[1] || "");
  const text = (name) => params.get(name) || "";
  // A price that is not a whole number of cents is left out rather than sent to be refused.
  const price = (name) => (PRICE.test(text(name)) ? text(name) : "");
  return {
    q: text("q").trim() ? text("q") : "",
    category: text("category"),
    sort: text("sort"),
    min_price: price("min_price"),
    max_price: price("max_price"),
  };
}

/** The parameters of `search` that are set, in a fixed order. */
function params(search) {
  const params = new URLSearchParams();
  for (const name of ["q", "category", "sort", "min_price", "max_price"]) {
    if (search[name]) params.set(name, search[name]);
  }
  return params;
}

/** The address of `search`: the search page with words, the catalogue without. */
export function searchHash(search) {
  const query = params(search).toString();
  const path = search.q ? "#/search" : "#/";
  return query ? `${path}?${query}` : path;
}

/** GET /api/search's query string for `search`, a page of `limit` from `cursor`. */
export function searchQuery(search, limit, cursor = null) {
  const query = params(search);
  query.set("limit", String(limit));
  if (cursor) query.set("cursor", cursor);
  return query.toString();
}
