// `#/` and `#/search`: the catalogue and the search, one listing, a page at a time. The address
// says what it shows (search.js), so a reload or a shared link shows the same. The search service
// answers, with how many products match in each category; when it cannot, the products service's
// plain catalogue shows instead, and the page says what is missing.

import { amount, api, money } from "../api.js";
import { markCurrentLink } from "../header.js";
import { readSearch, searchHash, searchQuery } from "../search.js";
import { go, h, notice, sentence, show } from "../ui.js";
import { addToCartControl } from "./add-to-cart.js";
import { filtersPanel } from "./filters.js";

const PAGE = 12;
const SEARCH_DOWN = "Search is unavailable right now; showing the whole catalogue.";
const FILTERS_DOWN = "Filtering and sorting are unavailable right now; showing the whole catalogue.";
const CATALOGUE_DOWN = "The catalogue is unavailable right now. You can still log in, register and see your orders.";

/** The listing on screen, once shown: its section, and what shows the address's search in it. */
let shown = null;

/**
 * Shows the listing for `hash`. When it is on screen already it changes in place, and the address
 * is replaced rather than added to: each word typed is not a page for the back button to step
 * through, and nothing is redrawn under the customer (the search box keeps focus).
 */
export function showListing(hash) {
  if (!shown || !shown.section.isConnected) return go(hash);
  if (hash !== location.hash) {
    history.replaceState(history.state, "", hash);
    markCurrentLink();
  }
  shown.refresh();
}

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
    product.category ? h("p", { class: "card-category" }, product.category) : null,
    h("p", { class: "price" }, money(product.price, product.currency)),
    addToCartControl(product, { compact: true }),
  );
}

/** ", in Kitchen, from 20.00 to 30.00": what narrows the search, if anything. */
function scope(search) {
  const parts = [];
  if (search.category) parts.push(`in ${search.category}`);
  const [low, high] = [search.min_price, search.max_price].map((bound) => (bound ? amount(Number(bound)) : ""));
  if (low && high) parts.push(`from ${low} to ${high}`);
  else if (low) parts.push(`from ${low}`);
  else if (high) parts.push(`up to ${high}`);
  return parts.length ? ` ${parts.join(", ")}` : "";
}

/** What the search found, in words: "12 products match “brass”", "7 products in Kitchen". */
function summaryOf(search, total) {
  const products = total === 1 ? "1 product" : `${total} products`;
  if (search.q) {
    if (!total) return `No products match “${search.q}”.`;
    return `${products} ${total === 1 ? "matches" : "match"} “${search.q}”${scope(search)}`;
  }
  if (!total) return scope(search) ? `No products${scope(search)}.` : "The shop has no products yet.";
  return `${products}${scope(search)}`;
}

export function catalogueView() {
  const heading = h("h1", {}, "Everything in the shop");
  const summary = h("p", { class: "summary", role: "status" });
  const notices = h("div");
  const list = h("ul", { class: "grid", "aria-label": "Products" });
  const hint = h("div");
  const more = h("button", { type: "button", class: "button", hidden: true }, "Show more");
  const filters = filtersPanel((wanted) => showListing(searchHash(wanted)));
  filters.element.hidden = true;
  const results = h("div", { class: "results" }, list, hint, h("p", { class: "more" }, more));
  const section = h(
    "section",
    { class: "listing" },
    heading,
    summary,
    notices,
    h("div", { class: "listing-body" }, filters.element, results),
  );
  let search = readSearch();
  let cursor = null;
  // Where the pages come from: "search", or "catalogue" while the search service cannot answer.
  let source = "search";
  // Answers can arrive out of order when the customer types quickly: only the latest request's is shown.
  let requests = 0;

  /** The heading and the window's title: what is shown, which is everything when search is down. */
  function title() {
    const words = source === "search" ? search.q : "";
    const category = source === "search" ? search.category : "";
    heading.textContent = words ? "Search results" : category || "Everything in the shop";
    document.title = `${words ? `Search: ${words}` : category || "Serverless Shop"} · Serverless Shop`;
  }

  /** The next page: the search service's, or the plain catalogue's when search is unavailable. */
  async function fetchPage(fresh) {
    if (source === "search") {
      try {
        const page = await api("GET", `/api/search?${searchQuery(search, PAGE, cursor)}`);
        return { ...page, source: "search" };
      } catch (err) {
        // A page after the first stays with the first's source, so the pages fit together.
        if (!err.unavailable || !fresh) throw err;
      }
    }
    const query = cursor ? `?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}` : `?limit=${PAGE}`;
    return { ...(await api("GET", `/api/products${query}`)), source: "catalogue" };
  }

  function render(page, fresh) {
    source = page.source;
    cursor = page.next_cursor;
    const cards = page.products.map(productCard);
    if (fresh) list.replaceChildren(...cards);
    else list.append(...cards);
    more.hidden = !cursor;
    title();
    filters.element.hidden = source !== "search";
    if (source === "search") {
      notices.replaceChildren();
      filters.update(search, page.facets);
      summary.textContent = summaryOf(search, page.total);
      const narrowed = !page.total && (search.category || search.min_price || search.max_price);
      hint.replaceChildren(
        narrowed
          ? h(
              "p",
              {},
              h(
                "a",
                { href: searchHash({ q: search.q }) },
                search.q ? "Search every category and price" : "See everything",
              ),
            )
          : "",
      );
    } else {
      notices.replaceChildren(notice(search.q ? SEARCH_DOWN : FILTERS_DOWN, "unavailable"));
      summary.textContent = list.children.length ? "" : "The shop has no products yet.";
      hint.replaceChildren();
    }
  }

  function fail(err, fresh) {
    const fields = Object.entries(err.fields || {});
    const message = err.unavailable
      ? CATALOGUE_DOWN
      : fields.length
        ? fields.map(([field, problem]) => sentence(field, problem)).join(" ")
        : err.message;
    notices.replaceChildren(notice(message, err.unavailable ? "unavailable" : "error"));
    if (fresh) {
      list.replaceChildren();
      summary.textContent = "";
      hint.replaceChildren();
      more.hidden = true;
    }
  }

  async function load(fresh) {
    const ticket = ++requests;
    if (fresh) {
      search = readSearch();
      cursor = null;
      source = "search";
    }
    // The results shown stay until the new ones arrive (dimmed), so typing does not flash the page.
    results.setAttribute("aria-busy", "true");
    if (!list.children.length) summary.textContent = search.q ? "Searching…" : "Loading the catalogue…";
    more.disabled = true;
    try {
      const page = await fetchPage(fresh);
      if (ticket === requests) render(page, fresh);
    } catch (err) {
      if (ticket === requests) fail(err, fresh);
    } finally {
      if (ticket === requests) {
        results.setAttribute("aria-busy", "false");
        more.disabled = false;
      }
    }
  }

  title();
  show(section);
  shown = { section, refresh: () => load(true) };
  more.addEventListener("click", () => load(false));
  return load(true);
}
