// `#/orders`: the customer's orders, or (for an administrator) everyone's, by status.

import { api, money, session } from "../api.js";
import { date, h, loading, notice, requireLogin, show, STATUS_WORDS, statusBadge, table } from "../ui.js";

export async function ordersView() {
  if (!session.signedIn) return show(requireLogin("Log in to see your orders."));
  const admin = session.user && session.user.role === "admin";
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const status = params.get("status") || (admin ? "PAID" : "");
  show(loading("Loading your orders…"));
  try {
    const query = admin ? `?status=${encodeURIComponent(status)}&limit=50` : "?limit=50";
    const data = await api("GET", `/api/orders${query}`);
    const filter = admin
      ? h(
          "nav",
          { class: "filters", "aria-label": "Order status" },
          Object.entries(STATUS_WORDS).map(([value, words]) =>
            h("a", { href: `#/orders?status=${value}`, "aria-current": value === status ? "page" : false }, words),
          ),
        )
      : null;
    const rows = data.orders.map((order) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, h("a", { href: `#/order/${order.id}` }, order.id.slice(0, 8))),
        admin ? h("td", {}, order.owner) : null,
        h("td", {}, date(order.created_at)),
        h("td", {}, statusBadge(order.status)),
        h("td", { class: "number" }, money(order.total, order.currency)),
      ),
    );
    show(
      h(
        "section",
        {},
        h("h1", {}, admin ? "Orders" : "Your orders"),
        filter,
        rows.length === 0
          ? notice("No orders yet.", "info")
          : table(["Order", admin ? "Customer" : null, "Date", "Status", ["Total", "number"]], rows),
      ),
    );
  } catch (err) {
    show(
      h(
        "section",
        {},
        h("h1", {}, "Your orders"),
        notice(
          err.unavailable ? "Orders are unavailable right now. The catalogue still works." : err.message,
          err.unavailable ? "unavailable" : "error",
        ),
      ),
    );
  }
}
