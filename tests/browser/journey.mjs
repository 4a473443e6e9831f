// The storefront in a real browser (Debian's Chromium, driven by playwright-core), against a
// running local shop. Run by the `browser` integration test, which starts the shop:
//
//   node journey.mjs <scenario> <shop url> <screenshots folder>
//
// Scenarios: `journey` (a customer from registration to the receipt, on a desktop and a phone
// screen, with the keyboard too) and `orders-down` (the orders service's table is gone: the
// catalogue still shows, the cart says it is unavailable) and `hostile` (a product whose name and
// description are markup and script: they show as text, and nothing runs) and `admin` (an
// administrator adds, edits and retires a product: admin.mjs) and `search` (a customer searches as
// they type, filters and sorts: search.mjs) and `account` (changing a password and signing out
// everywhere, on two devices: account.mjs) and `operator` (the local operator page follows the
// order `journey` paid: operator.mjs).

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { account } from "./account.mjs";
import { admin } from "./admin.mjs";
import { search } from "./search.mjs";
import { docs } from "./docs.mjs";
import { operator } from "./operator.mjs";

const [scenario, base, screenshots] = process.argv.slice(2);
if (!scenario || !base || !screenshots) {
  console.error(
    "usage: node journey.mjs <journey|hostile|orders-down|admin|search|docs|account|operator> <shop url> <screenshots folder>",
  );
  process.exit(2);
}
mkdirSync(screenshots, { recursive: true });

// What every page must be served with (the gateway reads them from template.yaml, as CloudFront
// does on AWS).
const SECURITY_HEADERS = [
  ["content-security-policy", /default-src 'none'.*script-src 'self'.*frame-ancestors 'none'/],
  ["x-content-type-options", /^nosniff$/],
  ["x-frame-options", /^DENY$/],
  ["referrer-policy", /^strict-origin-when-cross-origin$/],
];

const browser = await chromium.launch({
  executablePath: process.env.SHOP_CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const problems = [];
async function watch(page) {
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Anything the page's Content-Security-Policy blocks is a problem: the storefront must work
  // under it, with no inline script or style.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
    });
  });
  page.on("response", (response) => {
    if (response.request().isNavigationRequest() && response.url().startsWith(base)) {
      const headers = response.headers();
      for (const [name, pattern] of SECURITY_HEADERS) {
        if (!pattern.test(headers[name] ?? "")) problems.push(`${response.url()}: ${name} is ${headers[name]}`);
      }
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of (400|401|404|409|503)/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
}

async function shot(page, name, { fullPage = true } = {}) {
  // From the top: a full-page shot of a scrolled page draws the sticky header where the window was.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage });
}

/**
 * Waits until the search service's answer to `query` (GET /api/search's parameters) satisfies
 * `ready`. The catalogue's pages come from the search index, which follows the products table's
 * stream a few seconds behind: a product just stored is not listed at once.
 */
async function indexed(page, query, ready, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const response = await page.request.get(new URL(`api/search?${query}`, base).href);
    if (response.ok() && ready(await response.json())) return;
    assert.ok(Date.now() < deadline, `the search index answers ${query} as expected within ${timeout / 1000} s`);
    await page.waitForTimeout(250);
  }
}

async function logIn(page, username, password) {
  await page.goto(`${base}#/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("Signed in as").waitFor();
}

async function journey() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  await watch(page);
  const username = `shopper${Date.now().toString(36)}`;

  // The catalogue, with images, names and prices, once the search index holds all of it.
  await indexed(page, "limit=1", (answer) => answer.total >= 24);
  await page.goto(base);
  await page.getByRole("heading", { name: "Everything in the shop" }).waitFor();
  const cards = page.locator(".card");
  await cards.first().waitFor();
  assert.ok((await cards.count()) >= 12, "a page of products");
  assert.match(await cards.first().locator(".price").innerText(), /€\s?\d+[.,]\d\d|\d+[.,]\d\d\s?€/);
  assert.ok(
    await cards
      .first()
      .locator("img")
      .evaluate((img) => img.complete && img.naturalWidth > 0),
    "images load",
  );
  await shot(page, "catalogue");

  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to the content");

  // Register, with live feedback on the username.
  await page.getByRole("link", { name: "Register" }).click();
  await page.getByLabel("Username").fill("customer");
  await page.getByText("The username customer is taken.").waitFor();
  await page.getByLabel("Username").fill(username);
  await page.getByText(`${username} is available.`).waitFor();
  await page.getByLabel("Password").fill("short");
  await page.getByLabel("E-mail").fill("not-an-address");
  await page.getByLabel("First name").fill("Sam");
  await page.getByLabel("Last name").fill("Shopper");
  await page.getByRole("button", { name: "Create my account" }).click();
  // The API's objections appear next to the fields they concern.
  await page.locator("#field-password-error").getByText("must be 8 to 128 characters").waitFor();
  await page.locator("#field-email-error").getByText("must be an e-mail address").waitFor();
  await shot(page, "register-errors");
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByLabel("E-mail").fill(`${username}@example.com`);
  await page.getByRole("button", { name: "Create my account" }).click();
  await page.getByText("Signed in as").waitFor();
  assert.match(await page.locator("#account").innerText(), /Sam/);

  // A product page; add two to the cart.
  await page.goto(`${base}#/product/enamel-camp-mug`);
  await page.getByRole("heading", { name: "Enamel camp mug" }).waitFor();
  await page.getByLabel("Quantity of Enamel camp mug").fill("2");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText("Added.").waitFor();
  await shot(page, "product");

  // A second product, added from the catalogue with the keyboard.
  await page.goto(`${base}#/`);
  const pen = page.locator(".card", { hasText: "Brass ballpoint pen" });
  await pen.waitFor();
  await pen.getByRole("button", { name: "Add to cart" }).focus();
  await page.keyboard.press("Enter");
  await pen.getByText("View cart (3)").waitFor();
  await page.waitForFunction(() => document.querySelector("#cart-link .count").textContent === "3");

  // The cart: change a quantity, see the totals.
  await page.getByRole("link", { name: /^Cart/ }).click();
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  const mugQuantity = page.getByLabel("Quantity of Enamel camp mug");
  await mugQuantity.fill("3");
  await mugQuantity.press("Tab");
  await page
    .locator("tfoot .total")
    .getByText(/77[.,]50/)
    .waitFor();
  await shot(page, "cart");

  // Check out with the declined test card, listed on the page: the order page says so, and
  // offers to pay the same order again.
  await page.getByRole("link", { name: "Check out" }).click();
  await page.getByText("4242 4242 4242 4242").waitFor();
  await page.getByLabel("Card number").fill("4000 0000 0000 0002");
  await page.getByLabel("Name on the card").fill("Sam Shopper");
  await shot(page, "checkout");
  await page.getByRole("button", { name: /^Pay / }).click();
  await page.getByText("Payment failed: the card was declined").waitFor({ timeout: 60_000 });
  await shot(page, "order-payment-failed");
  await page.getByRole("link", { name: "Pay again with another card" }).click();

  // Pay again with the approved card.
  await page.getByText("The last payment failed").waitFor();
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Name on the card").fill("Sam Shopper");
  await page.getByRole("button", { name: /^Pay / }).click();

  // The order page updates by itself until the payment settles, then offers the receipt.
  await page.getByRole("heading", { name: /^Order / }).waitFor();
  await page.locator(".badge", { hasText: "Paid" }).waitFor({ timeout: 60_000 });
  const receipt = page.getByRole("link", { name: "Download the receipt (PDF)" });
  await receipt.waitFor();
  await shot(page, "order-paid");
  const [download] = await Promise.all([page.waitForEvent("download"), receipt.click()]);
  const path = await download.path();
  const { readFileSync } = await import("node:fs");
  assert.equal(readFileSync(path).subarray(0, 5).toString(), "%PDF-", "the receipt is a PDF");

  // Order history.
  await page.getByRole("link", { name: "Orders" }).first().click();
  await page.getByRole("heading", { name: "Your orders" }).waitFor();
  assert.equal(await page.locator("tbody tr").count(), 1);
  await shot(page, "orders");

  // A phone-sized screen: everything fits, nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}#/`);
  await page.locator(".card").first().waitFor();
  await shot(page, "catalogue-phone");
  const overflow = await page.evaluate(() => {
    const wide = [...document.querySelectorAll("body *")].filter(
      (el) => el.getBoundingClientRect().right > window.innerWidth + 1,
    );
    return {
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
      wide: wide.slice(0, 5).map((el) => `${el.tagName}.${el.className}`),
    };
  });
  assert.ok(overflow.scrollWidth <= overflow.width, `no sideways scrolling: ${JSON.stringify(overflow)}`);
  await page.goto(`${base}#/cart`);
  await page.getByText("Your cart is empty.").waitFor();

  // Log out.
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("link", { name: "Log in" }).waitFor();
  await context.close();
}

async function ordersDown() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await watch(page);
  await logIn(page, "customer", "customer-password");
  // The catalogue still shows, and adding to the cart says plainly that it cannot.
  await page.getByRole("heading", { name: "Everything in the shop" }).waitFor();
  await page.locator(".card").first().waitFor();
  await page.locator(".card").first().getByRole("button", { name: "Add to cart" }).click();
  await page
    .locator(".card")
    .first()
    .getByText(/unavailable/i)
    .waitFor();
  await shot(page, "orders-down-catalogue");
  await page.getByRole("link", { name: /^Cart/ }).click();
  await page.getByText("Your cart is unavailable right now.").waitFor();
  await shot(page, "orders-down-cart");
  await context.close();
}

// Set up by the Rust test: the product `a-hostile-lamp` (on the catalogue's first page, by name), named and described with these.
const HOSTILE_NAME = `<img src=x onerror="window.pwned=1;alert(1)"><script>window.pwned=2</script>`;
const HOSTILE_DESCRIPTION = `"><svg onload=alert(3)> {{constructor.constructor('alert(4)')()}}`;

async function hostile() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await watch(page);
  page.on("dialog", (dialog) => {
    problems.push(`a script ran and opened a dialog: ${dialog.message()}`);
    dialog.dismiss();
  });
  const unharmed = async () => {
    assert.equal(await page.evaluate(() => window.pwned), undefined, "no injected script ran");
    assert.equal(await page.locator('img[src="x"], script:not([src]), svg[onload]').count(), 0, "no injected elements");
  };

  await indexed(page, "q=pwned", (answer) => answer.products.some((product) => product.slug === "a-hostile-lamp"));
  await logIn(page, "customer", "customer-password");

  // In the catalogue and on its own page, the name is shown as the text it is.
  await page.locator(".card-name", { hasText: "window.pwned=2" }).waitFor();
  assert.equal(await page.locator(".card-name", { hasText: "window.pwned=2" }).innerText(), HOSTILE_NAME);
  await unharmed();
  await page.goto(`${base}#/product/a-hostile-lamp`);
  await page.getByRole("heading", { name: HOSTILE_NAME }).waitFor();
  await page.getByText(HOSTILE_DESCRIPTION, { exact: true }).waitFor();
  await unharmed();

  // The order keeps the name it was given, and the cart shows it as text too.
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.getByText(/^Added\./).waitFor();
  await page.getByRole("link", { name: /^Cart/ }).click();
  await page.getByRole("heading", { name: "Your cart" }).waitFor();
  await page.getByText(HOSTILE_NAME, { exact: true }).first().waitFor();
  await unharmed();
  await shot(page, "hostile-strings");
  await context.close();
}

try {
  if (scenario === "journey") await journey();
  else if (scenario === "admin") await admin({ browser, base, watch, shot, logIn });
  else if (scenario === "account") await account({ browser, base, watch, shot, logIn });
  else if (scenario === "search") await search({ browser, base, watch, shot, indexed });
  else if (scenario === "docs") await docs({ browser, base, watch, shot });
  else if (scenario === "operator") await operator({ browser, base, watch, shot });
  else if (scenario === "hostile") await hostile();
  else if (scenario === "orders-down") await ordersDown();
  else throw new Error(`unknown scenario ${scenario}`);
  assert.deepEqual(problems, [], "no errors in the page");
  console.log(`browser scenario ${scenario}: ok`);
} finally {
  await browser.close();
}
