// The `search` scenario of journey.mjs, which hands it the browser, the shop's address and its
// helpers. It needs the seed catalogue (data/products.json), which the search service indexes
// from the products table's stream.

import assert from "node:assert/strict";

const BRASS = ["Brass ballpoint pen", "Brass desk lamp"];

// A customer searches from the header's box as they type, from any page: the results come without
// pressing Enter, the address holds the search (a reload shows the same, and the back button
// steps over the typing), one typo is forgiven, a category and a sort narrow the results (all
// held in the address too), and a search that finds nothing says so plainly.
export async function search({ browser, base, watch, shot, indexed }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await watch(page);
  await indexed(page, "q=brass", (answer) => answer.total >= 2);

  const box = page.getByRole("searchbox", { name: "Search the shop" });
  const summary = (pattern) => page.locator(".summary").filter({ hasText: pattern });
  const names = () => page.locator(".card-name").allInnerTexts();
  const hash = () => decodeURIComponent(new URL(page.url()).hash);

  // From a product's page: the first results take the customer to the search, the next replace them.
  await page.goto(`${base}#/product/enamel-camp-mug`);
  await page.getByRole("heading", { name: "Enamel camp mug" }).waitFor();
  await box.pressSequentially("b");
  await summary(/^\d+ products? match(es)? “b”$/).waitFor({ timeout: 30_000 });
  await box.pressSequentially("ras", { delay: 80 });
  await summary(/^\d+ products? match(es)? “bras”$/).waitFor();
  const found = await names();
  for (const name of BRASS) assert.ok(found.includes(name), `${name} is found by “bras”: ${found}`);
  assert.ok(await box.evaluate((input) => input === document.activeElement), "the box keeps focus while typing");
  assert.equal(hash(), "#/search?q=bras", "the address holds the search");
  assert.equal(await page.getByRole("heading", { name: "Search results" }).count(), 1);
  // Each category is offered with how many products match in it.
  await page.getByRole("radio", { name: /^Stationery \(\d+\)$/ }).waitFor();
  await shot(page, "search-results");

  // A reload shows the same; the back button goes back to the product, not through each letter.
  await page.reload();
  await summary(/^\d+ products? match(es)? “bras”$/).waitFor();
  assert.deepEqual(await names(), found, "the same results after a reload");
  assert.equal(await box.inputValue(), "bras", "the box shows the search after a reload");
  await page.goBack();
  await page.getByRole("heading", { name: "Enamel camp mug" }).waitFor();
  await page.goForward();
  await summary(/^\d+ products? match(es)? “bras”$/).waitFor();

  // A typo in a longer word is forgiven: the bowl comes first.
  await box.fill("ceramc bowl");
  await summary(/^\d+ products? match(es)? “ceramc bowl”$/).waitFor();
  assert.equal((await names())[0], "Ceramic serving bowl");

  // An empty box goes back to the catalogue, where a category and a sort narrow it.
  await box.fill("");
  await page.getByRole("heading", { name: "Everything in the shop" }).waitFor();
  assert.equal(hash(), "#/");
  const settled = page.locator('.results[aria-busy="false"]');
  await page.getByRole("radio", { name: /^Kitchen \(\d+\)$/ }).check();
  await page.getByRole("heading", { name: "Kitchen" }).waitFor();
  await page.getByLabel("Sort by").selectOption({ label: "Price, low to high" });
  await settled.waitFor();
  assert.equal(hash(), "#/?category=Kitchen&sort=price_asc", "the address holds the filters");
  const kitchen = async () => {
    const cents = (await page.locator(".card .price").allInnerTexts()).map((text) => Number(text.replace(/\D/g, "")));
    const categories = await page.locator(".card .card-category").allInnerTexts();
    assert.ok(cents.length >= 2, `several products in Kitchen: ${cents}`);
    assert.deepEqual(
      cents,
      [...cents].sort((a, b) => a - b),
      "prices from low to high",
    );
    assert.deepEqual(categories, Array(cents.length).fill("Kitchen"), "every product is in Kitchen");
    return cents;
  };
  await kitchen();
  await shot(page, "catalogue-filters");

  // A price range, typed in euros, held in the address in cents as the API takes it.
  await page.getByLabel("Lowest price").fill("20");
  await page.getByLabel("Highest price").fill("30");
  await page.getByRole("button", { name: "Apply" }).click();
  await summary(/in Kitchen, from 20\.00 to 30\.00$/).waitFor();
  assert.ok(
    (await kitchen()).every((cents) => cents >= 2000 && cents <= 3000),
    "prices in the range",
  );
  assert.equal(hash(), "#/?category=Kitchen&sort=price_asc&min_price=2000&max_price=3000");
  await page.reload();
  await summary(/in Kitchen, from 20\.00 to 30\.00$/).waitFor();
  assert.equal(await page.getByLabel("Lowest price").inputValue(), "20.00", "the range shows after a reload");

  // Nothing matches: the page says so plainly, and offers to search beyond the filters.
  await box.fill("xylophone");
  await summary("No products match “xylophone”.").waitFor();
  assert.equal(await page.locator(".card").count(), 0);
  await page.getByRole("link", { name: "Search every category and price" }).click();
  await page.getByRole("radio", { name: "All categories (0)", checked: true }).waitFor();
  assert.equal(hash(), "#/search?q=xylophone");
  assert.equal(await page.locator(".summary").innerText(), "No products match “xylophone”.");
  await context.close();
}
