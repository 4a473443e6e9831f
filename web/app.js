// The storefront: a small single-page app with no framework. Every view is built with DOM calls
// (never innerHTML from data), so whatever people type shows as text.
//
// Each part of the page asks its own service and copes on its own when that service is down:
// the catalogue still shows when orders are unavailable, and signing in still works when the
// catalogue is down.

import { api, ApiError, download, money, parseMoney, session } from "./api.js";

const view = document.getElementById("view");
const LOCAL = ["localhost", "127.0.0.1", "[::1]"].includes(location.hostname);
const TEST_CARDS = [
  ["4242 4242 4242 4242", "approved"],
  ["4000 0000 0000 0002", "declined"],
  ["4000 0000 0000 9995", "insufficient funds"],
  ["4000 0000 0000 0119", "bank error once, then approved"],
];

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** An element: h("p", { class: "note" }, "text", child, ...). Strings become text nodes. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// After a navigation, focus moves to the new page's heading, so that keyboard and screen-reader
// users start where the content changed; on the first load it stays at the top of the page.
let navigated = false;

function show(...children) {
  view.replaceChildren(...children);
  const heading = view.querySelector("h1");
  if (heading && navigated) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

/** The API's messages start in lower case, to fit inside a sentence; shown alone, they get a capital and a full stop. */
function plain(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A notice in plain words; `kind` is "error", "unavailable" or "info". */
function notice(text, kind = "error") {
  return h("p", { class: `notice ${kind}`, role: kind === "info" ? "status" : "alert" }, plain(text));
}

function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function requireLogin(reason) {
  const back = encodeURIComponent(location.hash || "#/");
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, "Please log in"),
    h("p", {}, reason),
    h("p", {}, h("a", { class: "button", href: `#/login?next=${back}` }, "Log in"), " or ",
      h("a", { href: `#/register?next=${back}` }, "create an account")),
  );
}

/**
 * A form with labelled fields, per-field errors and a form-level error, that calls `submit` with
 * the values. `fields` are { name, label, type, ... } and may carry `hint` and `attributes`.
 */
function form({ fields, button, submit, extra = null }) {
  const errors = new Map();
  const formError = h("div", { class: "form-error", role: "alert" });
  const inputs = new Map();
  const rows = fields.map((field) => {
    const id = `field-${field.name}`;
    const error = h("p", { class: "field-error", id: `${id}-error` });
    errors.set(field.name, error);
    const describedBy = [field.hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
    const common = { id, name: field.name, "aria-describedby": describedBy, ...(field.attributes || {}) };
    const input = field.type === "textarea"
      ? h("textarea", common)
      : field.type === "select"
        ? h("select", common, field.options.map((option) => h("option", { value: option }, option)))
        : h("input", { type: field.type || "text", ...common });
    if (field.value !== undefined) input.value = field.value;
    inputs.set(field.name, input);
    return h("div", { class: "field" },
      h("label", { for: id }, field.label),
      input,
      field.hint ? h("p", { class: "hint", id: `${id}-hint` }, field.hint) : null,
      error);
  });
  const submitButton = h("button", { type: "submit", class: "button primary" }, button);
  const element = h("form", { novalidate: true }, formError, rows, extra, submitButton);

  function clear() {
    formError.replaceChildren();
    for (const [name, error] of errors) {
      error.textContent = "";
      inputs.get(name).removeAttribute("aria-invalid");
    }
  }

  function fail(err) {
    const fieldErrors = (err && err.fields) || {};
    let first = null;
    for (const [name, message] of Object.entries(fieldErrors)) {
      const error = errors.get(name);
      if (!error) continue;
      error.textContent = sentence(name, message);
      inputs.get(name).setAttribute("aria-invalid", "true");
      first = first || inputs.get(name);
    }
    const unplaced = Object.keys(fieldErrors).some((name) => !errors.has(name));
    if (!first || unplaced) {
      formError.replaceChildren(notice(err.message || "That did not work.", err.unavailable ? "unavailable" : "error"));
    }
    (first || formError).focus?.();
  }

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const values = Object.fromEntries([...inputs].map(([name, input]) => [name, input.value]));
    submitButton.disabled = true;
    try {
      await submit(values, { fail, inputs, errors });
    } catch (err) {
      if (err instanceof ApiError) fail(err);
      else fail(new ApiError(0, "client", String(err.message || err)));
    } finally {
      submitButton.disabled = false;
    }
  });
  return { element, inputs, errors, fail };
}

/** "username must be 3 to 32 characters long" → "Username must be 3 to 32 characters long." */
function sentence(field, message) {
  const label = field.replace(/_/g, " ");
  const text = `${label} ${message}`;
  return text.charAt(0).toUpperCase() + text.slice(1) + (text.endsWith(".") ? "" : ".");
}

function date(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const STATUS_WORDS = {
  OPEN: "Open (your cart)",
  PENDING_PAYMENT: "Payment in progress",
  PAID: "Paid",
  PAYMENT_FAILED: "Payment failed",
};

function statusBadge(status) {
  return h("span", { class: `badge status-${(status || "").toLowerCase()}` }, STATUS_WORDS[status] || status);
}

// ---------------------------------------------------------------------------------------------
// Header: who is signed in, and the cart
// ---------------------------------------------------------------------------------------------

const accountArea = document.getElementById("account");
const cartLink = document.getElementById("cart-link");
const ordersLink = document.getElementById("orders-link");
const adminLink = document.getElementById("admin-link");
const serviceNotice = document.getElementById("service-notice");

function renderHeader() {
  const user = session.user;
  ordersLink.hidden = !user;
  adminLink.hidden = !(user && user.role === "admin");
  if (user) {
    accountArea.replaceChildren(
      h("span", { class: "who" }, "Signed in as ", h("strong", {}, user.first_name || user.username)),
      h("button", { type: "button", class: "link", onclick: logOut }, "Log out"),
    );
  } else {
    accountArea.replaceChildren(
      h("a", { href: "#/login" }, "Log in"),
      h("a", { href: "#/register", class: "button small" }, "Register"),
    );
  }
}

async function refreshCartCount() {
  const count = cartLink.querySelector(".count");
  if (!session.token) {
    count.textContent = "";
    return;
  }
  try {
    const order = await api("GET", "/api/order");
    count.textContent = order.item_count ? String(order.item_count) : "";
  } catch {
    count.textContent = "";
  }
}

/** Confirms the stored session with the users service; says so if it cannot be reached. */
async function checkSession() {
  if (!session.token) return;
  try {
    const user = await api("GET", "/api/user");
    session.update(user);
    serviceNotice.hidden = true;
  } catch (err) {
    if (err.unavailable) {
      serviceNotice.hidden = false;
      serviceNotice.textContent = "Accounts are unavailable right now: you may need to log in again later.";
    }
  }
}

async function logOut() {
  try {
    await api("POST", "/api/user/logout");
  } catch {
    // The session ends here either way.
  }
  session.end();
  go("#/");
}

window.addEventListener("session", () => {
  renderHeader();
  refreshCartCount();
});

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

function productCard(product) {
  return h("li", { class: "card" },
    h("a", { href: `#/product/${encodeURIComponent(product.slug)}`, class: "card-link" },
      h("img", { src: product.image, alt: "", width: 400, height: 400, loading: "lazy" }),
      h("span", { class: "card-name" }, product.name)),
    h("p", { class: "price" }, money(product.price, product.currency)),
    addToCartControl(product, { compact: true }));
}

async function catalogueView() {
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
      status.replaceChildren(data.products.length || list.children.length ? "" : notice("The shop has no products yet.", "info"));
    } catch (err) {
      status.replaceChildren(notice(err.unavailable
        ? "The catalogue is unavailable right now. You can still log in, register and see your orders."
        : err.message, err.unavailable ? "unavailable" : "error"));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", page);
  await page();
}

/** Quantity and "Add to cart", with the answer shown right beside them. */
function addToCartControl(product, { compact = false } = {}) {
  const id = `qty-${product.slug}${compact ? "-card" : ""}`;
  const quantity = h("input", { type: "number", id, min: 1, max: 99, value: 1, inputmode: "numeric", class: "qty" });
  const message = h("p", { class: "inline-message", role: "status" });
  const button = h("button", { type: "submit", class: "button primary" }, "Add to cart");
  const element = h("form", { class: compact ? "add compact" : "add" },
    h("label", { for: id, class: compact ? "visually-hidden" : "" }, `Quantity of ${product.name}`),
    h("div", { class: "row" }, quantity, button), message);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.className = "inline-message";
    if (!session.token) {
      message.replaceChildren("Please ", h("a", { href: `#/login?next=${encodeURIComponent(location.hash || "#/")}` }, "log in"), " to add to your cart.");
      return;
    }
    const qty = Number(quantity.value);
    if (!Number.isInteger(qty) || qty < 1 || qty > 99) {
      message.classList.add("error");
      message.textContent = "Choose a quantity from 1 to 99.";
      return;
    }
    button.disabled = true;
    try {
      const order = await api("POST", "/api/order/add-item", { product_id: product.slug, qty });
      message.classList.add("ok");
      message.replaceChildren("Added. ", h("a", { href: "#/cart" }, `View cart (${order.item_count})`));
      refreshCartCount();
    } catch (err) {
      message.classList.add("error");
      message.textContent = err.code === "storage_unavailable"
        ? "Your cart is unavailable right now. Please try again in a moment."
        : plain(err.message);
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

async function productView(slug) {
  show(loading("Loading the product…"));
  try {
    const product = await api("GET", `/api/product/${encodeURIComponent(slug)}`);
    document.title = `${product.name} · Serverless Shop`;
    show(h("article", { class: "product" },
      h("img", { src: product.image, alt: product.name, width: 400, height: 400 }),
      h("div", { class: "product-details" },
        h("h1", {}, product.name),
        h("p", { class: "price large" }, money(product.price, product.currency)),
        h("p", { class: "description" }, product.description),
        addToCartControl(product),
        h("p", {}, h("a", { href: "#/" }, "← Back to the catalogue")))));
  } catch (err) {
    show(h("section", {}, h("h1", {}, err.status === 404 ? "No such product" : "Product unavailable"),
      notice(err.status === 404 ? "That product is not in the shop." : err.message, err.unavailable ? "unavailable" : "error"),
      h("p", {}, h("a", { href: "#/" }, "← Back to the catalogue"))));
  }
}

async function cartView() {
  if (!session.token) return show(requireLogin("Your cart is kept with your account."));
  show(loading("Loading your cart…"));
  let order;
  try {
    order = await api("GET", "/api/order");
  } catch (err) {
    if (err.code === "no_open_order") order = null;
    else {
      return show(h("section", {}, h("h1", {}, "Your cart"), notice(err.unavailable
        ? "Your cart is unavailable right now. The catalogue still works; please try again in a moment."
        : err.message, err.unavailable ? "unavailable" : "error")));
    }
  }
  if (!order || order.lines.length === 0) {
    return show(h("section", {}, h("h1", {}, "Your cart"), notice("Your cart is empty.", "info"), h("p", {}, h("a", { href: "#/", class: "button" }, "Browse the catalogue"))));
  }
  const message = h("div", { role: "alert" });
  const rows = order.lines.map((line) => {
    const id = `line-${line.product_id}`;
    const qty = h("input", { type: "number", id, min: 0, max: 99, value: line.quantity, class: "qty", inputmode: "numeric" });
    const update = async (quantity) => {
      message.replaceChildren();
      try {
        await api("POST", "/api/order/update-item", { product_id: line.product_id, qty: quantity });
        refreshCartCount();
        cartView();
      } catch (err) {
        message.replaceChildren(notice(err.message, err.unavailable ? "unavailable" : "error"));
      }
    };
    qty.addEventListener("change", () => {
      const quantity = Number(qty.value);
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > 99) {
        message.replaceChildren(notice(`Choose a quantity from 0 to 99 for ${line.name}.`));
        return;
      }
      update(quantity);
    });
    return h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `#/product/${encodeURIComponent(line.product_id)}` }, line.name)),
      h("td", { class: "number" }, money(line.unit_price, order.currency)),
      h("td", {}, h("label", { for: id, class: "visually-hidden" }, `Quantity of ${line.name}`), qty),
      h("td", { class: "number" }, money(line.line_total, order.currency)),
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => update(0), "aria-label": `Remove ${line.name}` }, "Remove")));
  });
  show(h("section", {},
    h("h1", {}, "Your cart"),
    message,
    h("div", { class: "table-wrap" }, h("table", { class: "lines" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Item"), h("th", { scope: "col", class: "number" }, "Price"),
        h("th", { scope: "col" }, "Quantity"), h("th", { scope: "col", class: "number" }, "Amount"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Remove")))),
      h("tbody", {}, rows),
      h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 3 }, "Total"), h("td", { class: "number total" }, money(order.total, order.currency)), h("td"))))),
    h("p", { class: "actions" }, h("a", { href: "#/", class: "button" }, "Keep shopping"), h("a", { href: "#/checkout", class: "button primary" }, "Check out"))));
}

async function checkoutView() {
  if (!session.token) return show(requireLogin("Log in to check out."));
  show(loading("Loading your order…"));
  let order;
  try {
    order = await api("GET", "/api/order");
  } catch (err) {
    return show(h("section", {}, h("h1", {}, "Check out"), err.code === "no_open_order"
      ? notice("Your cart is empty.", "info")
      : notice(err.message, err.unavailable ? "unavailable" : "error")));
  }
  const year = new Date().getFullYear();
  const { element } = form({
    fields: [
      { name: "card_number", label: "Card number", attributes: { autocomplete: "cc-number", inputmode: "numeric", required: true } },
      { name: "expiry_month", label: "Expiry month", type: "select", options: ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"], value: "12", attributes: { autocomplete: "cc-exp-month" } },
      { name: "expiry_year", label: "Expiry year", type: "select", options: Array.from({ length: 12 }, (_, i) => String(year + i)), value: String(year + 3), attributes: { autocomplete: "cc-exp-year" } },
      { name: "holder", label: "Name on the card", attributes: { autocomplete: "cc-name", required: true } },
    ],
    button: `Pay ${money(order.total, order.currency)}`,
    extra: LOCAL ? h("div", { class: "test-cards" }, h("h2", {}, "Test cards (this is a local shop)"),
      h("ul", {}, TEST_CARDS.map(([number, outcome]) => h("li", {}, h("code", {}, number), ` — ${outcome}`))),
      h("p", { class: "hint" }, "Any future expiry date and any name work.")) : null,
    submit: async (values) => {
      const placed = await api("POST", "/api/order/checkout", {
        card_number: values.card_number,
        expiry_month: Number(values.expiry_month),
        expiry_year: Number(values.expiry_year),
        holder: values.holder,
      });
      refreshCartCount();
      go(`#/order/${placed.id}`);
    },
  });
  show(h("section", { class: "narrow" },
    h("h1", {}, "Check out"),
    h("p", {}, `${order.item_count} item${order.item_count === 1 ? "" : "s"}, total `, h("strong", {}, money(order.total, order.currency)), ". ",
      h("a", { href: "#/cart" }, "Change the cart")),
    element));
}

let polling = null;

async function orderView(id) {
  if (!session.token) return show(requireLogin("Log in to see your orders."));
  const started = Date.now();
  async function render() {
    let order;
    try {
      order = await api("GET", `/api/order/${encodeURIComponent(id)}`);
    } catch (err) {
      show(h("section", {}, h("h1", {}, "Order"), notice(err.status === 404 ? "You have no order with that number." : err.message, err.unavailable ? "unavailable" : "error")));
      return false;
    }
    const receipt = h("div", { class: "receipt" });
    if (order.status === "PAID") {
      const link = h("a", { href: `/api/order/${encodeURIComponent(order.id)}/receipt`, class: "button primary", download: `receipt-${order.id}.pdf` }, "Download the receipt (PDF)");
      const problem = h("p", { class: "inline-message error", role: "alert" });
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        problem.textContent = "";
        try {
          const blob = await download(`/api/order/${encodeURIComponent(order.id)}/receipt`);
          const url = URL.createObjectURL(blob);
          const a = h("a", { href: url, download: `receipt-${order.id}.pdf` });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10000);
        } catch (err) {
          problem.textContent = plain(err.message);
        }
      });
      receipt.append(h("p", {}, `Paid ${date(order.paid_at)} with the card ending in ${order.card_last4}. A receipt is on its way to ${order.email}.`), link, problem);
    } else if (order.status === "PAYMENT_FAILED") {
      receipt.append(notice(`Payment failed: ${order.payment_failure || "the card was refused"}. Nothing was charged.`), h("p", {}, h("a", { href: "#/" }, "Back to the catalogue")));
    } else if (order.status === "PENDING_PAYMENT") {
      receipt.append(h("p", { class: "loading", role: "status" }, "Waiting for the bank… this page updates by itself."));
    }
    show(h("section", {},
      h("h1", {}, `Order ${order.id.slice(0, 8)}`),
      h("p", { class: "order-meta" }, statusBadge(order.status), ` Placed ${date(order.created_at)}`),
      h("div", { role: "status", "aria-live": "polite" }, receipt),
      h("div", { class: "table-wrap" }, h("table", { class: "lines" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Item"), h("th", { scope: "col", class: "number" }, "Price"), h("th", { scope: "col", class: "number" }, "Quantity"), h("th", { scope: "col", class: "number" }, "Amount"))),
        h("tbody", {}, order.lines.map((line) => h("tr", {}, h("th", { scope: "row" }, line.name), h("td", { class: "number" }, money(line.unit_price, order.currency)), h("td", { class: "number" }, line.quantity), h("td", { class: "number" }, money(line.line_total, order.currency))))),
        h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 3 }, "Total"), h("td", { class: "number total" }, money(order.total, order.currency)))))),
      h("p", {}, h("a", { href: "#/orders" }, "All your orders"))));
    return order.status === "PENDING_PAYMENT" || order.status === "OPEN";
  }
  show(loading("Loading the order…"));
  const again = await render();
  if (again) {
    polling = setInterval(async () => {
      if (location.hash !== `#/order/${id}` || Date.now() - started > 5 * 60 * 1000) {
        clearInterval(polling);
        return;
      }
      if (!(await render())) clearInterval(polling);
    }, 1500);
  }
}

async function ordersView() {
  if (!session.token) return show(requireLogin("Log in to see your orders."));
  const admin = session.user && session.user.role === "admin";
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const status = params.get("status") || (admin ? "PAID" : "");
  show(loading("Loading your orders…"));
  try {
    const query = admin ? `?status=${encodeURIComponent(status)}&limit=50` : "?limit=50";
    const data = await api("GET", `/api/orders${query}`);
    const filter = admin ? h("nav", { class: "filters", "aria-label": "Order status" }, Object.entries(STATUS_WORDS).map(([value, words]) =>
      h("a", { href: `#/orders?status=${value}`, "aria-current": value === status ? "page" : false }, words))) : null;
    const rows = data.orders.map((order) => h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `#/order/${order.id}` }, order.id.slice(0, 8))),
      admin ? h("td", {}, order.owner) : null,
      h("td", {}, date(order.created_at)),
      h("td", {}, statusBadge(order.status)),
      h("td", { class: "number" }, money(order.total, order.currency))));
    show(h("section", {},
      h("h1", {}, admin ? "Orders" : "Your orders"),
      filter,
      rows.length === 0 ? notice("No orders yet.", "info") : h("div", { class: "table-wrap" }, h("table", { class: "lines" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Order"), admin ? h("th", { scope: "col" }, "Customer") : null, h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col", class: "number" }, "Total"))),
        h("tbody", {}, rows)))));
  } catch (err) {
    show(h("section", {}, h("h1", {}, "Your orders"), notice(err.unavailable ? "Orders are unavailable right now. The catalogue still works." : err.message, err.unavailable ? "unavailable" : "error")));
  }
}

function nextHash() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const next = params.get("next");
  return next && next.startsWith("#/") && !next.startsWith("#/login") && !next.startsWith("#/register") ? next : "#/";
}

function loginView() {
  const { element } = form({
    fields: [
      { name: "username", label: "Username", attributes: { autocomplete: "username", required: true, autocapitalize: "none" } },
      { name: "password", label: "Password", type: "password", attributes: { autocomplete: "current-password", required: true } },
    ],
    button: "Log in",
    submit: async (values) => {
      const answer = await api("POST", "/api/user/login", values);
      session.start(answer.token, answer.user);
      go(nextHash());
    },
  });
  show(h("section", { class: "narrow" }, h("h1", {}, "Log in"), element,
    h("p", {}, "New here? ", h("a", { href: `#/register?next=${encodeURIComponent(nextHash())}` }, "Create an account"), ".")));
}

function registerView() {
  const { element, inputs, errors } = form({
    fields: [
      { name: "username", label: "Username", hint: "3 to 32 letters, digits, dots, dashes or underscores.", attributes: { autocomplete: "username", required: true, autocapitalize: "none", minlength: 3, maxlength: 32 } },
      { name: "password", label: "Password", type: "password", hint: "At least 8 characters.", attributes: { autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 } },
      { name: "email", label: "E-mail", type: "email", attributes: { autocomplete: "email", required: true } },
      { name: "first_name", label: "First name", attributes: { autocomplete: "given-name", required: true } },
      { name: "last_name", label: "Last name", attributes: { autocomplete: "family-name", required: true } },
    ],
    button: "Create my account",
    submit: async (values) => {
      await api("POST", "/api/user/create", values);
      const answer = await api("POST", "/api/user/login", { username: values.username, password: values.password });
      session.start(answer.token, answer.user);
      go(nextHash());
    },
  });
  // Live feedback: is the name free? (Checked after typing pauses.)
  const username = inputs.get("username");
  const feedback = errors.get("username");
  let timer = null;
  username.addEventListener("input", () => {
    clearTimeout(timer);
    feedback.className = "field-error";
    feedback.textContent = "";
    const name = username.value.trim();
    if (name.length < 3) return;
    timer = setTimeout(async () => {
      try {
        await api("GET", `/api/user/${encodeURIComponent(name)}/exists`);
        if (username.value.trim() !== name) return;
        feedback.textContent = `The username ${name.toLowerCase()} is taken.`;
        username.setAttribute("aria-invalid", "true");
      } catch (err) {
        if (username.value.trim() !== name) return;
        if (err.status === 404) {
          feedback.className = "field-ok";
          feedback.textContent = `${name.toLowerCase()} is available.`;
          username.removeAttribute("aria-invalid");
        } else if (err.status === 400) {
          feedback.textContent = sentence("username", (err.fields && err.fields.username) || err.message);
        }
      }
    }, 300);
  });
  show(h("section", { class: "narrow" }, h("h1", {}, "Create an account"), element,
    h("p", {}, "Already registered? ", h("a", { href: "#/login" }, "Log in"), ".")));
}

function adminView() {
  const user = session.user;
  if (!user) return show(requireLogin("The admin pages are for administrators."));
  if (user.role !== "admin") return show(h("section", {}, h("h1", {}, "Admin"), notice("This page is for administrators.")));
  const created = h("div", { role: "status" });
  const { element, inputs } = form({
    fields: [
      { name: "name", label: "Name", attributes: { required: true, maxlength: 120 } },
      { name: "slug", label: "Slug (its address)", hint: "Lower-case letters, digits and single hyphens, such as enamel-camp-mug.", attributes: { required: true, autocapitalize: "none" } },
      { name: "description", label: "Description", type: "textarea", attributes: { required: true, rows: 4, maxlength: 2000 } },
      { name: "image", label: "Image address", hint: "An https:// address, or a path on this site such as /images/products/enamel-camp-mug.svg.", attributes: { required: true } },
      { name: "price", label: "Price", hint: "For example 12.50", attributes: { required: true, inputmode: "decimal" } },
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
      created.replaceChildren(notice(`Added ${product.name} at ${money(product.price, product.currency)}.`, "info"),
        h("p", {}, h("a", { href: `#/product/${encodeURIComponent(product.slug)}` }, "See it in the shop")));
      for (const input of inputs.values()) if (input.tagName !== "SELECT") input.value = "";
    },
  });
  // Suggest a slug from the name.
  inputs.get("name").addEventListener("input", () => {
    const slug = inputs.get("slug");
    if (slug.dataset.edited) return;
    slug.value = inputs.get("name").value.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  });
  inputs.get("slug").addEventListener("input", (event) => { event.target.dataset.edited = "yes"; });
  show(h("section", { class: "narrow" },
    h("h1", {}, "Add a product"),
    h("p", {}, h("a", { href: "#/orders" }, "See orders")),
    created,
    element));
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

const ROUTES = [
  [/^#\/?$/, catalogueView, "Serverless Shop"],
  [/^#\/product\/([^/?]+)$/, (slug) => productView(decodeURIComponent(slug)), "Product"],
  [/^#\/cart$/, cartView, "Your cart"],
  [/^#\/checkout$/, checkoutView, "Check out"],
  [/^#\/order\/([0-9a-f]+)$/, orderView, "Order"],
  [/^#\/orders(\?.*)?$/, ordersView, "Orders"],
  [/^#\/login(\?.*)?$/, loginView, "Log in"],
  [/^#\/register(\?.*)?$/, registerView, "Create an account"],
  [/^#\/admin$/, adminView, "Admin"],
];

function route() {
  clearInterval(polling);
  const hash = location.hash || "#/";
  for (const link of document.querySelectorAll("header nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === hash.split("?")[0]);
  }
  for (const [pattern, render, title] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) {
      document.title = `${title} · Serverless Shop`;
      render(...match.slice(1));
      return;
    }
  }
  show(h("section", {}, h("h1", {}, "Not found"), notice("There is no such page.", "info"), h("p", {}, h("a", { href: "#/" }, "Go to the catalogue"))));
}

window.addEventListener("hashchange", () => {
  navigated = true;
  route();
});
renderHeader();
route();
checkSession().then(refreshCartCount);
