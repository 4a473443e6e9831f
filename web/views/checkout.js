// `#/checkout`: the card form that pays for the open order; `#/checkout/<id>` pays again for an
// order whose payment failed. The checkout names the order and the version shown here, so an
// order changed meanwhile (in another tab, or by the catalogue: a new price, a product no longer
// sold) is refused rather than charged, and the page shows the order as it is now.

import { api, money, session } from "../api.js";
import { form } from "../form.js";
import { refreshCartCount } from "../header.js";
import { go, h, loading, notice, requireLogin, show } from "../ui.js";

const LOCAL = ["localhost", "127.0.0.1", "[::1]"].includes(location.hostname);
const TEST_CARDS = [
  ["4242 4242 4242 4242", "approved"],
  ["4000 0000 0000 0002", "declined"],
  ["4000 0000 0000 9995", "insufficient funds"],
  ["4000 0000 0000 0119", "bank error once, then approved"],
];

export async function checkoutView(id, changed = null) {
  if (!session.signedIn) return show(requireLogin("Log in to check out."));
  show(loading("Loading your order…"));
  let order;
  try {
    order = await api("GET", id ? `/api/order/${encodeURIComponent(id)}` : "/api/order");
  } catch (err) {
    return show(
      h(
        "section",
        {},
        h("h1", {}, "Check out"),
        err.code === "no_open_order"
          ? notice("Your cart is empty.", "info")
          : notice(err.message, err.unavailable ? "unavailable" : "error"),
      ),
    );
  }
  if (order.status === "PENDING_PAYMENT" || order.status === "PAID") {
    return go(`#/order/${order.id}`);
  }
  const year = new Date().getFullYear();
  let held = null;
  const { element } = form({
    fields: [
      {
        name: "card_number",
        label: "Card number",
        attributes: { autocomplete: "cc-number", inputmode: "numeric", required: true },
      },
      {
        name: "expiry_month",
        label: "Expiry month",
        type: "select",
        options: ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"],
        value: "12",
        attributes: { autocomplete: "cc-exp-month" },
      },
      {
        name: "expiry_year",
        label: "Expiry year",
        type: "select",
        options: Array.from({ length: 12 }, (_, i) => String(year + i)),
        value: String(year + 3),
        attributes: { autocomplete: "cc-exp-year" },
      },
      { name: "holder", label: "Name on the card", attributes: { autocomplete: "cc-name", required: true } },
    ],
    button: `Pay ${money(order.total, order.currency)}`,
    extra: LOCAL
      ? h(
          "div",
          { class: "test-cards" },
          h("h2", {}, "Test cards (this is a local shop)"),
          h(
            "ul",
            {},
            TEST_CARDS.map(([number, outcome]) => h("li", {}, h("code", {}, number), ` — ${outcome}`)),
          ),
          h("p", { class: "hint" }, "Any future expiry date and any name work."),
        )
      : null,
    submit: async (values) => {
      // The card goes to the payments service, which holds it and answers a token; the order
      // is checked out with the token, so the card number never reaches the orders service.
      // Submitting the same card again (after a failed checkout step) reuses its token.
      const card = {
        card_number: values.card_number,
        expiry_month: Number(values.expiry_month),
        expiry_year: Number(values.expiry_year),
        holder: values.holder,
      };
      const key = JSON.stringify(card);
      if (!held || held.key !== key || Date.parse(held.expires_at) < Date.now() + 60_000) {
        held = { ...(await api("POST", "/api/payment/card", card)), key };
      }
      let placed;
      try {
        placed = await api("POST", "/api/order/checkout", {
          order_id: order.id,
          version: order.version,
          card_token: held.card_token,
        });
      } catch (err) {
        if (err.code !== "order_changed") throw err;
        // Show the new total, and what changed, before the customer pays it.
        refreshCartCount();
        await checkoutView(id, err.message);
        return;
      }
      refreshCartCount();
      go(`#/order/${placed.id}`);
    },
  });
  show(
    h(
      "section",
      { class: "narrow" },
      h("h1", {}, "Check out"),
      h(
        "p",
        {},
        `${order.item_count} item${order.item_count === 1 ? "" : "s"}, total `,
        h("strong", {}, money(order.total, order.currency)),
        ". ",
        order.status === "OPEN" ? h("a", { href: "#/cart" }, "Change the cart") : null,
      ),
      changed ? notice(changed, "info") : null,
      order.status === "PAYMENT_FAILED"
        ? notice(`The last payment failed: ${order.payment_failure}. Nothing was charged; try another card.`)
        : null,
      element,
    ),
  );
}
