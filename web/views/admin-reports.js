// `#/admin/reports`: what the shop sold over a period. Per currency, the totals, a chart of the
// revenue of each day, the days and the products; the failed-payment rate; and the same figures
// as a PDF or a CSV download. Days are UTC days, as the reports service counts them.

import { api, money, save } from "../api.js";
import { form } from "../form.js";
import { h, loading, notice, plain, show, table } from "../ui.js";
import { adminLinks, notAdmin } from "./admin-shared.js";

/** `YYYY-MM-DD` of `date`, in UTC. */
function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** The revenue of each day as bars, tallest the best day; each bar says its day and amount. */
function chart(sales) {
  const best = Math.max(1, ...sales.days.map((day) => day.revenue));
  return h(
    "figure",
    { class: "report-chart" },
    h(
      "div",
      { class: "bars", role: "img", "aria-label": `Revenue per day in ${sales.currency}` },
      sales.days.map((day) => {
        const bar = h("span", { class: "bar-day", title: `${day.date}: ${money(day.revenue, sales.currency)}` });
        // Through the CSSOM: the storefront's CSP refuses style attributes.
        bar.style.height = `${Math.max(1, Math.round((day.revenue / best) * 100))}%`;
        return bar;
      }),
    ),
    h("figcaption", {}, `Revenue per day, ${sales.days[0].date} to ${sales.days.at(-1).date}`),
  );
}

function currencySection(sales) {
  const cash = (minor) => (minor === null ? "" : money(minor, sales.currency));
  const { totals } = sales;
  return h(
    "section",
    { class: "report-currency" },
    h("h2", {}, `Sales in ${sales.currency}`),
    h(
      "p",
      { class: "report-totals" },
      `${cash(totals.revenue)} from ${totals.orders} ${totals.orders === 1 ? "order" : "orders"} ` +
        `(${totals.items} items; ${cash(totals.average_order_value) || "no"} average order); ` +
        `${totals.failed_payments} failed ${totals.failed_payments === 1 ? "payment" : "payments"}.`,
    ),
    chart(sales),
    h("h3", {}, "Products"),
    sales.products.length
      ? table(
          ["Product", ["Orders", "number"], ["Items", "number"], ["Revenue", "number"], ["Average order", "number"]],
          sales.products.map((product) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, product.name),
              h("td", { class: "number" }, String(product.orders)),
              h("td", { class: "number" }, String(product.items)),
              h("td", { class: "number" }, cash(product.revenue)),
              h("td", { class: "number" }, cash(product.average_order_value)),
            ),
          ),
        )
      : h("p", {}, "No product was sold."),
    h("h3", {}, "Days"),
    table(
      ["Day", ["Orders", "number"], ["Items", "number"], ["Revenue", "number"], ["Failed payments", "number"]],
      sales.days
        .filter((day) => day.orders || day.failed_payments)
        .map((day) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, day.date),
            h("td", { class: "number" }, String(day.orders)),
            h("td", { class: "number" }, String(day.items)),
            h("td", { class: "number" }, cash(day.revenue)),
            h("td", { class: "number" }, String(day.failed_payments)),
          ),
        ),
    ),
  );
}

function reportOf(report) {
  const { approved, failed, failed_rate: rate } = report.payments;
  const payments =
    rate === null
      ? "No payment was attempted in this period."
      : `${approved} payments approved and ${failed} failed: ${(rate * 100).toFixed(1)}% failed.`;
  return [notice(payments, "info"), ...report.currencies.map(currencySection)];
}

export function adminReportsView() {
  const refused = notAdmin();
  if (refused) return show(refused);
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 24 * 3600 * 1000);
  const result = h("div", { "aria-live": "polite" });
  const problem = h("p", { class: "inline-message error", role: "alert" });
  const query = (values, format) =>
    `/api/reports/sales?from=${encodeURIComponent(values.from)}&to=${encodeURIComponent(values.to)}&format=${format}`;
  const { element, inputs } = form({
    fields: [
      { name: "from", label: "From", type: "date", value: isoDay(monthAgo), attributes: { required: true } },
      { name: "to", label: "To", type: "date", value: isoDay(today), attributes: { required: true } },
    ],
    button: "Show the report",
    submit: async (values) => {
      problem.textContent = "";
      result.replaceChildren(loading("Adding up the sales…"));
      try {
        const report = await api("GET", query(values, "json"));
        result.replaceChildren(...reportOf(report));
      } catch (err) {
        result.replaceChildren();
        throw err;
      }
    },
  });
  const downloads = [
    ["pdf", "Download as PDF", {}],
    ["csv", "Download as CSV", { byteOrderMark: true }],
  ].map(([format, label, options]) => {
    const button = h("button", { type: "button", class: "button" }, label);
    button.addEventListener("click", async () => {
      problem.textContent = "";
      const values = { from: inputs.get("from").value, to: inputs.get("to").value };
      try {
        await save(query(values, format), `sales-${values.from}-to-${values.to}.${format}`, options);
      } catch (err) {
        problem.textContent = plain(err.message);
      }
    });
    return button;
  });
  show(
    h(
      "section",
      {},
      h("h1", {}, "Sales reports"),
      adminLinks("#/admin/reports"),
      h("p", { class: "hint" }, "Days are UTC days, both ends included; a report covers up to two years."),
      h("div", { class: "report-form" }, element, ...downloads),
      problem,
      result,
    ),
  );
  element.requestSubmit();
}
