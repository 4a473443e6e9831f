// The `admin` scenario of journey.mjs, which hands it the browser, the shop's address and its
// helpers. It needs the accounts admin / admin-password and customer / customer-password, as the
// local shop of `scripts/run` has.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// An administrator adds a product, finds it among the products on sale, changes its price and
// category (a customer checking it out at the old price is shown the new one before paying),
// meets a save made stale by a second tab, and retires it: a customer who had its page
// open is told why it cannot be added, and its page then says it is no longer sold. The sale
// reaches the sales report, which downloads as CSV. The product is new each run, so the seed
// catalogue is left as it was and the scenario can run again.
export async function admin({ browser, base, watch, shot, logIn }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await watch(page);
  const id = Date.now().toString(36);
  const name = `Storm lantern ${id}`;
  const slug = `storm-lantern-${id}`;
  await logIn(page, "admin", "admin-password");

  // Add it. The category field suggests the shop's categories, and must be filled in.
  await page.goto(`${base}#/admin`);
  await page.getByRole("heading", { name: "Add a product" }).waitFor();
  await page.locator('#category-suggestions option[value="Kitchen"]').waitFor({ state: "attached" });
  await page.getByLabel("Name", { exact: true }).fill(name);
  assert.equal(await page.getByLabel("Slug (its address)").inputValue(), slug, "the slug follows the name");
  await page.getByLabel("Description").fill("A lantern that stays lit in the wind.");
  await page.getByLabel("Image address").fill("/images/products/desk-lamp-brass.svg");
  await page.getByLabel("Price").fill("19");
  await page.getByRole("button", { name: "Add the product" }).click();
  await page.locator("#field-category-error").getByText("Category must not be empty.").waitFor();
  await page.getByLabel("Category").fill("Outdoor");
  await page.getByRole("button", { name: "Add the product" }).click();
  await page.getByText(`Added ${name} to Outdoor at`).waitFor();

  // The products on sale, all of them, each with a link to edit it.
  await page.getByRole("link", { name: "Products on sale" }).click();
  const count = page.getByText(/^\d+ products are on sale\.$/);
  await count.waitFor();
  const rows = await page.locator("tbody tr").count();
  assert.equal(`${rows} products are on sale.`, await count.innerText(), "every product on sale is listed");
  const row = page.locator("tbody tr", { hasText: name });
  assert.match(await row.innerText(), /Outdoor\s+(€\s?19[.,]00|19[.,]00\s?€)/);
  await shot(page, "admin-products");
  await row.getByRole("link", { name: `Edit ${name}` }).click();
  await page.getByRole("heading", { name: `Edit ${name}` }).waitFor();

  // A second tab opens the same product, at the same version, before the first one saves.
  const other = await context.newPage();
  await watch(other);
  await other.goto(`${base}#/admin/product/${slug}`);
  await other.getByRole("heading", { name: `Edit ${name}` }).waitFor();

  // A customer puts it in the cart at 19.00 and opens the checkout.
  const shopper = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const customer = await shopper.newPage();
  await watch(customer);
  await logIn(customer, "customer", "customer-password");
  await customer.goto(`${base}#/product/${slug}`);
  await customer.getByRole("heading", { name }).waitFor();
  await customer.getByRole("button", { name: "Add to cart" }).click();
  await customer.getByText("Added.").waitFor();
  await customer.goto(`${base}#/checkout`);
  await customer.getByRole("button", { name: /^Pay (€\s?19[.,]00|19[.,]00\s?€)$/ }).waitFor();

  // The first tab changes the price and the category.
  assert.equal(await page.getByLabel("Price").inputValue(), "19.00");
  await page.getByLabel("Price").fill("24.50");
  await page.getByLabel("Category").fill("Home");
  await page.getByRole("button", { name: "Save the changes" }).click();
  const saved = page.getByText("Your changes are saved");
  await saved.waitFor();
  assert.match(await saved.innerText(), /costs (€\s?24[.,]50|24[.,]50\s?€), in Home\. This is version 2\./);
  await shot(page, "admin-edit");

  // The customer pays what the checkout page showed: nothing is charged at a price they did not
  // see; the page says what changed and shows the new total, which they then pay.
  await customer.getByLabel("Card number").fill("4242 4242 4242 4242");
  await customer.getByLabel("Name on the card").fill("Casey Customer");
  await customer.getByRole("button", { name: /^Pay / }).click();
  await customer.getByText(`${name} changed in price or name`).waitFor();
  await customer.getByLabel("Card number").fill("4242 4242 4242 4242");
  await customer.getByLabel("Name on the card").fill("Casey Customer");
  await customer.getByRole("button", { name: /^Pay (€\s?24[.,]50|24[.,]50\s?€)$/ }).click();
  await customer.getByRole("heading", { name: /^Order / }).waitFor();

  // The second tab's save names the version it loaded: nothing is saved, and it says why; what
  // was typed stays until the administrator chooses to reload.
  await other.getByLabel("Name", { exact: true }).fill(`${name}, large`);
  await other.getByRole("button", { name: "Save the changes" }).click();
  await other.getByText("This product was changed by someone else since you opened it").waitFor();
  assert.equal(await other.getByLabel("Name", { exact: true }).inputValue(), `${name}, large`);
  await other.getByRole("button", { name: "Reload the current product" }).click();
  await other.getByText("This is the product as it is now, at version 2.").waitFor();
  assert.equal(await other.getByLabel("Name", { exact: true }).inputValue(), name);
  assert.equal(await other.getByLabel("Price").inputValue(), "24.50");
  assert.equal(await other.getByLabel("Category").inputValue(), "Home");
  await other.close();

  // The customer has the product's page open.
  await customer.goto(`${base}#/product/${slug}`);
  await customer.getByRole("heading", { name }).waitFor();

  // The administrator retires it, after confirming in the page.
  await page.getByRole("button", { name: "Retire this product" }).click();
  await page.getByRole("group", { name: `Retire ${name}?` }).waitFor();
  await page.getByRole("button", { name: "Yes, retire it" }).click();
  await page.getByText(`Retired ${name}: it has left the catalogue`).waitFor();
  await page.getByText("This product is retired: it is no longer sold").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save the changes" }).count(), 0, "no edit form");

  // The customer's page, opened before, cannot add it, and says why in the orders service's words
  // (once the orders service's memory of the product, five seconds at most, has lapsed: a cart
  // addition may price from what the catalogue said a moment before, and checkout from now).
  await customer.waitForTimeout(5_000);
  await customer.getByRole("button", { name: "Add to cart" }).click();
  await customer.locator(".inline-message.error", { hasText: `${slug} is no longer sold.` }).waitFor();
  // Opened again, the page says it is no longer sold and offers no way to buy it.
  await customer.reload();
  await customer.getByText("This product is no longer sold.").waitFor();
  assert.equal(await customer.getByRole("button", { name: "Add to cart" }).count(), 0, "no add-to-cart");
  await shot(customer, "product-retired");
  await shopper.close();

  // It has left the products on sale.
  await page.goto(`${base}#/admin/products`);
  await page.getByText(/^\d+ products are on sale\.$/).waitFor();
  assert.equal(await page.locator("tbody tr", { hasText: name }).count(), 0, "no longer on sale");

  // Its one sale is in the sales report once the reports service has counted it (the orders
  // outbox, then the reports queue: asked again until it is there).
  await page.getByRole("link", { name: "Sales reports" }).click();
  await page.getByRole("heading", { name: "Sales reports" }).waitFor();
  const sold = page.locator(".report-currency tbody tr", { hasText: name });
  for (let tries = 0; (await sold.count()) === 0; tries++) {
    assert.ok(tries < 60, "the sale never reached the sales report");
    await page.waitForTimeout(500);
    await page.getByRole("button", { name: "Show the report" }).click();
    await page.getByText(/payments approved|No payment was attempted/).waitFor();
  }
  assert.match(await sold.innerText(), /^\S.*\s1\s+1\s+(€\s?24[.,]50|24[.,]50\s?€)\s+(€\s?24[.,]50|24[.,]50\s?€)$/s);
  await page.getByRole("img", { name: "Revenue per day in EUR" }).waitFor();
  await shot(page, "admin-reports");
  const csv = page.getByRole("button", { name: "Download as CSV" });
  const [file] = await Promise.all([page.waitForEvent("download"), csv.click()]);
  assert.match(file.suggestedFilename(), /^sales-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = readFileSync(await file.path(), "utf8");
  // The storefront puts a byte-order mark first, for Excel.
  assert.ok(text.startsWith("\uFEFFsection,date,product_id,product_name,currency,"), text.slice(0, 80));
  assert.ok(text.includes(`\r\nproduct,,${slug},${name},EUR,1,1,24.50,24.50,,\r\n`), "the sale's CSV row");
  const pdf = page.getByRole("button", { name: "Download as PDF" });
  const [printed] = await Promise.all([page.waitForEvent("download"), pdf.click()]);
  assert.match(printed.suggestedFilename(), /^sales-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.pdf$/);
  assert.equal(
    readFileSync(await printed.path())
      .subarray(0, 5)
      .toString("latin1"),
    "%PDF-",
  );
  await context.close();
}
