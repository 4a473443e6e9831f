// The header's search box, on every page: results come as the customer types (a quarter of a
// second after the last key, so a word typed quickly is one search, not one per letter), and the
// address follows, so the search can be shared, bookmarked and reloaded.

import { isListing, readSearch, searchHash } from "./search.js";
import { showListing } from "./views/catalogue.js";

const TYPING_PAUSE_MS = 250;

const form = document.getElementById("search-form");
const box = document.getElementById("search-box");
let timer = 0;

/** The results for what is in the box; `submitted` when the customer pressed Enter or the button. */
function search(submitted) {
  clearTimeout(timer);
  const text = box.value.trim() ? box.value : "";
  // Typing and then clearing the box on another page is no reason to leave it.
  if (!text && !submitted && !isListing()) return;
  // On the results, the words change and the category, sort and prices chosen stay; from another
  // page, a search starts afresh.
  const current = isListing() ? readSearch() : {};
  showListing(searchHash({ ...current, q: text }));
}

box.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => search(false), TYPING_PAUSE_MS);
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  search(true);
});

/**
 * The box shows the words of the page it is on: after the back button, a link to the catalogue,
 * or a reload. Not while someone types in it: what they typed since the last search is theirs.
 */
function follow() {
  if (document.activeElement !== box && isListing()) box.value = readSearch().q;
}

window.addEventListener("hashchange", follow);
follow();
