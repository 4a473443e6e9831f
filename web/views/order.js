// `#/order/<id>`: one order, refreshed until its payment settles, with its receipt once paid.

import { api, money, save, session } from "../api.js";
import { date, h, loading, notice, plain, requireLogin, show, statusBadge, table } from "../ui.js";

let polling = null;

/** Stops refreshing an order page that is no longer shown. */
export function stopPolling() {
  clearInterval(polling);
}

export async function orderView(id) {
  if (!session.signedIn) return show(requireLogin("Log in to see your orders."));
  const started = Date.now();
  async function render() {
    let order;
    try {
      order = await api("GET", `/api/order/${encodeURIComponent(id)}`);
    } catch (err) {
      show(
        h(
          "section",
          {},
          h("h1", {}, "Order"),
          notice(
            err.status === 404 ? "You have no order with that number." : err.message,
            err.unavailable ? "unavailable" : "error",
          ),
        ),
      );
      return false;
    }
    const receipt = h("div", { class: "receipt" });
    // An order whose customer deleted their account, as an administrator sees it.
    const erased = order.owner === "[deleted]";
    if (order.status === "PAID") {
      const link = h(
        "a",
        {
          href: `/api/order/${encodeURIComponent(order.id)}/receipt`,
          class: "button primary",
          download: `receipt-${order.id}.pdf`,
        },
        "Download the receipt (PDF)",
      );
      const problem = h("p", { class: "inline-message error", role: "alert" });
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        problem.textContent = "";
        try {
          await save(`/api/order/${encodeURIComponent(order.id)}/receipt`, `receipt-${order.id}.pdf`);
        } catch (err) {
          problem.textContent = plain(err.message);
        }
      });
      receipt.append(
        h(
          "p",
          {},
          `Paid ${date(order.paid_at)} with the card ending in ${order.card_last4}.` +
            (erased
              ? " The customer has since deleted their account: the order keeps no name or address."
              : order.email_verified === false
                ? ""
                : ` A receipt is on its way to ${order.email}.`),
        ),
        order.email_verified === false && !erased
          ? h(
              "p",
              { class: "unconfirmed" },
              `We did not e-mail this receipt: your address ${order.email} was not confirmed when you paid, and we send ` +
                "nothing else to an address until it is. Download it here, and ",
              h("a", { href: "#/account" }, "confirm your address"),
              " for the next one.",
            )
          : null,
        link,
        problem,
      );
    } else if (order.status === "PAYMENT_FAILED") {
      receipt.append(
        notice(`Payment failed: ${order.payment_failure || "the card was refused"}. Nothing was charged.`),
        h(
          "p",
          {},
          h("a", { href: `#/checkout/${order.id}`, class: "button primary" }, "Pay again with another card"),
          " ",
          h("a", { href: "#/" }, "Back to the catalogue"),
        ),
      );
    } else if (order.status === "PENDING_PAYMENT") {
      receipt.append(
        h("p", { class: "loading", role: "status" }, "Waiting for the bank… this page updates by itself."),
      );
    }
    show(
      h(
        "section",
        {},
        h("h1", {}, `Order ${order.id.slice(0, 8)}`),
        h("p", { class: "order-meta" }, statusBadge(order.status), ` Placed ${date(order.created_at)}`),
        h("div", { role: "status", "aria-live": "polite" }, receipt),
        table(
          ["Item", ["Price", "number"], ["Quantity", "number"], ["Amount", "number"]],
          order.lines.map((line) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, line.name),
              h("td", { class: "number" }, money(line.unit_price, order.currency)),
              h("td", { class: "number" }, line.quantity),
              h("td", { class: "number" }, money(line.line_total, order.currency)),
            ),
          ),
          money(order.total, order.currency),
        ),
        h("p", {}, h("a", { href: "#/orders" }, "All your orders")),
      ),
    );
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
