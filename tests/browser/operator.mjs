// The `operator` scenario of journey.mjs, which hands it the browser, the shop's address and its
// helpers: after the `journey` scenario has paid an order, a person watching the local shop
// opens its operator page (/_local/), sees the requests and the metrics the functions wrote,
// and follows the order from the click on "Pay" through the queues to its e-mail.

import assert from "node:assert/strict";

// The functions a paid order passes through, in the order they first run.
const PATH = ["order-checkout", "order-relay", "payment-charge", "order-settle", "receipt-email"];

export async function operator({ browser, base, watch, shot }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await watch(page);

  // Paused: the page reloads itself every 5 s otherwise, which a check could straddle.
  const response = await page.goto(new URL("_local/?paused", base).href);
  assert.equal(response.status(), 200);
  await page.getByRole("heading", { level: 1, name: "The local shop, as an operator sees it" }).waitFor();
  const requests = page.locator("table.requests");
  await requests
    .getByRole("cell", { name: /^POST \/api\/order\/checkout$/ })
    .first()
    .waitFor();
  const metrics = page.locator("table.metrics");
  for (const metric of ["CheckoutsStarted", "PaymentsApproved", "PaymentsDeclined", "Revenue", "ColdStart"]) {
    assert.ok((await metrics.getByRole("cell", { name: metric, exact: true }).count()) > 0, `${metric} is shown`);
  }
  await shot(page, "operator", { fullPage: false });

  // The order the journey paid (the only one named so far): its timeline, once the e-mail is
  // sent (the receipt goes out after the order page shows it paid).
  const order = page.getByRole("link", { name: /^Order [0-9a-f]{32}$/ }).first();
  const id = (await order.innerText()).replace("Order ", "");
  await order.click();
  await page.getByRole("heading", { level: 1, name: `Journey of ${id}` }).waitFor();
  const steps = page.locator("ol.timeline > li.step > h2");
  const timeline = page.locator("ol.timeline");
  // Both checkouts: the declined card's and the approved one's, each settled and counted; the
  // receipt is not e-mailed to this customer, whose address is not confirmed. The e-mail and the
  // counting run after the order page shows it paid, side by side: wait for all of it.
  const complete = (text) =>
    text.match(/checkout requested/g)?.length === 2 &&
    text.match(/counted in the sales reports/g)?.length === 2 &&
    /nothing to e-mail/.test(text);
  const deadline = Date.now() + 30_000;
  while (!complete(await timeline.innerText())) {
    assert.ok(Date.now() < deadline, `the whole journey shows: ${await timeline.innerText()}`);
    await page.waitForTimeout(500);
    await page.reload();
  }
  const functions = await steps.allInnerTexts();
  const first = PATH.map((name) => functions.indexOf(name));
  assert.ok(
    first.every((at, i) => at >= 0 && (i === 0 || at > first[i - 1])),
    `the timeline runs ${PATH.join(" → ")}: ${functions.join(", ")}`,
  );
  assert.ok((await page.locator("ol.timeline progress").count()) === functions.length, "a bar a step");
  await shot(page, "operator-journey");
  await context.close();
}
