// The `docs` scenario of journey.mjs, which hands it the browser, the shop's address and its
// helpers: the API's documentation, served by the shop at /docs.

import assert from "node:assert/strict";

// A developer reads the API's documentation: every route is in the contents and a click away, the
// error codes carry their statuses, the versioning policy is there, the page is styled by its own
// style sheet under the storefront's CSP, and not one request leaves the shop's origin.
export async function docs({ browser, base, watch, shot }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const origin = new URL(base).origin;
  const elsewhere = [];
  await context.route(
    (url) => url.origin !== origin,
    (route) => {
      elsewhere.push(route.request().url());
      return route.abort();
    },
  );
  const page = await context.newPage();
  await watch(page);

  const response = await page.goto(new URL("docs", base).href);
  assert.equal(response.status(), 200);
  await page.getByRole("heading", { level: 1, name: /^Serverless shop API \d+\.\d+\.\d+$/ }).waitFor();
  const contents = page.getByRole("navigation", { name: "Contents" });
  for (const route of [
    "POST /api/user/create",
    "GET /api/search",
    "PUT /api/product/{id}",
    "POST /api/order/checkout",
  ]) {
    assert.equal(
      await contents.getByRole("link", { name: route, exact: true }).count(),
      1,
      `${route} is in the contents`,
    );
  }

  await contents.getByRole("link", { name: "GET /api/search", exact: true }).click();
  assert.match(page.url(), /#op-searchProducts$/);
  const search = page.locator("#op-searchProducts");
  await search.getByRole("cell", { name: "q", exact: true }).waitFor();
  assert.match(await search.locator("pre.example").first().innerText(), /"products"/, "an example answer");

  assert.match(await page.locator("#error-product_retired").innerText(), /409/);
  await page.getByRole("heading", { name: "Breaking changes: a new major version" }).waitFor();
  const position = await contents.evaluate((nav) => getComputedStyle(nav).position);
  assert.equal(position, "sticky", "the page's style sheet applies");

  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "api-docs", { fullPage: false });
  assert.deepEqual(elsewhere, [], "no request leaves the shop's origin");
  await context.close();
}
