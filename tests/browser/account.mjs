// The `account` scenario of journey.mjs, which hands it the browser, the shop's address and its
// helpers.

import assert from "node:assert/strict";

// A customer registers (a common password is refused, saying why), confirms the address with
// the link the shop e-mailed (read from the local mailbox), stays signed in across a reload
// through the refresh cookie, signs in on a second device,
// changes the password on the first (a wrong current password is refused first): the first stays
// signed in, the second is signed out at its next request and signs in with the new password.
// The first asks to change the address, and makes the change with the link e-mailed to the new one.
// Then "Sign out everywhere" on the first signs both out, and the second, its password
// forgotten, sets a new one with the link the shop e-mails, and at last deletes the account. The
// account is new each run.
export async function account({ browser, base, watch, shot, logIn }) {
  const username = `keeper${Date.now().toString(36)}`;
  const first = await device(browser, watch);
  const second = await device(browser, watch);

  await first.goto(`${base}#/register`);
  await first.getByLabel("Username").fill(username);
  await first.getByLabel("Password").fill("Password123");
  await first.getByLabel("E-mail").fill(`${username}@example.com`);
  await first.getByLabel("First name").fill("Kim");
  await first.getByLabel("Last name").fill("Keeper");
  await first.getByRole("button", { name: "Create my account" }).click();
  await first.locator("#field-password-error").getByText("one of the most common passwords").waitFor();
  await first.getByLabel("Password").fill("kept in a safe place");
  await first.getByRole("button", { name: "Create my account" }).click();
  await first.getByText("Signed in as").waitFor();

  // The address is not confirmed yet; the link in the e-mail the shop sent confirms it, once.
  await first.goto(`${base}#/account`);
  await first.getByText("is not confirmed yet").waitFor();
  const link = await mailedLink(base, `${username}@example.com`, "Confirm your e-mail address", "verify");
  await first.goto(link);
  await first.getByRole("button", { name: "Confirm my e-mail address" }).click();
  await first.getByText("your e-mail address is confirmed").waitFor();
  assert.ok(!first.url().includes("token="), "the token left the address bar");
  await first.goto(`${base}#/account`);
  await first.getByText(`Your e-mail address ${username}@example.com is confirmed.`).waitFor();
  await first.goto(link);
  await first.getByRole("button", { name: "Confirm my e-mail address" }).click();
  await first.getByText("this link does not work").waitFor();

  // Staying signed in: a reload keeps the session, through the refresh cookie, which no script
  // can read; nothing the page stores holds a token.
  const [cookie] = await first.context().cookies();
  assert.equal(cookie.name, "__Secure-shop_rt");
  assert.equal(cookie.path, "/api/user/session");
  assert.ok(cookie.httpOnly && cookie.secure && cookie.sameSite === "Strict", JSON.stringify(cookie));
  const refreshed = first.waitForResponse((r) => r.url().endsWith("/api/user/session/refresh"));
  await first.reload();
  assert.equal((await refreshed).status(), 200, "the reload refreshed the session");
  const [rotated] = await first.context().cookies();
  assert.notEqual(rotated.value, cookie.value, "the refresh token rotated");
  await first.goto(`${base}#/orders`);
  await first.getByText("No orders yet.").waitFor();
  assert.equal(await first.evaluate(() => document.cookie), "", "scripts see no cookie");
  const stored = await first.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(!stored.includes(cookie.value.split(".")[1]) && !/eyJ/.test(stored), `no token is stored: ${stored}`);

  await logIn(second, username, "kept in a safe place");

  // Change the password on the first device, from the account page the header's name links to.
  await first.locator("#account").getByRole("link", { name: "Kim" }).click();
  await first.getByRole("heading", { name: "Your account", exact: true }).waitFor();
  const passwordForm = first.locator("form", { has: first.getByRole("button", { name: "Change my password" }) });
  await passwordForm.getByLabel("Current password").fill("not the password");
  await passwordForm.getByLabel("New password").fill("an even safer place");
  await passwordForm.getByRole("button", { name: "Change my password" }).click();
  await first.locator("#field-current_password-error").getByText("is not your current password").waitFor();
  await passwordForm.getByLabel("Current password").fill("kept in a safe place");
  await passwordForm.getByRole("button", { name: "Change my password" }).click();
  await first.getByText("Your password is changed.").waitFor();

  // A new address, which becomes the account's when the link the shop e-mails to it is opened.
  const moved = `${username}.new@example.com`;
  const emailForm = first.locator("form", { has: first.getByRole("button", { name: "Change my address" }) });
  await emailForm.getByLabel("New e-mail address").fill(moved);
  await emailForm.getByLabel("Current password").fill("an even safer place");
  await emailForm.getByRole("button", { name: "Change my address" }).click();
  await first.getByText(`We e-mailed a link to ${moved}: your address changes when you open it`).waitFor();
  await first.getByText(`You asked to change your e-mail address to ${moved}.`).waitFor();
  await first.goto(await mailedLink(base, moved, "Confirm your new e-mail address", "email"));
  await first.getByRole("button", { name: "Make this my address" }).click();
  await first.getByText(`Your e-mail address is now ${moved}.`).waitFor();
  assert.ok(!first.url().includes("token="), "the token left the address bar");
  await first.goto(`${base}#/account`);
  await first.getByText(`Your e-mail address ${moved} is confirmed.`).waitFor();
  await shot(first, "account");
  await first.goto(`${base}#/orders`);
  await first.getByText("No orders yet.").waitFor();

  // The second device is signed out at its next request, and signs in with the new password.
  await second.goto(`${base}#/orders`);
  await second.getByRole("link", { name: "Log in" }).first().waitFor();
  assert.equal(await second.getByText("Signed in as").count(), 0, "the other device is signed out");
  await logIn(second, username, "an even safer place");

  // Sign out everywhere from the first: both are signed out.
  await first.goto(`${base}#/account`);
  await first.getByRole("button", { name: "Sign out everywhere" }).click();
  await first.getByText("You are signed out on every device.").waitFor();
  await second.goto(`${base}#/orders`);
  await second.getByRole("link", { name: "Log in" }).first().waitFor();
  assert.equal(await second.getByText("Signed in as").count(), 0, "the other device is signed out");

  // The password forgotten: a link by e-mail sets a new one, and the customer logs in with it.
  await second.goto(`${base}#/login`);
  await second.getByRole("link", { name: "Forgot your password?" }).click();
  await second.getByLabel("Username or e-mail address").fill(moved);
  await second.getByRole("button", { name: "E-mail me a link" }).click();
  await second.getByText("If an account has that username or address").waitFor();
  const reset = await mailedLink(base, moved, "Reset your password", "reset");
  await second.goto(reset);
  await second.getByRole("heading", { name: "Choose a new password" }).waitFor();
  assert.ok(!second.url().includes("token="), "the token left the address bar");
  await second.getByLabel("New password").fill("remembered at last");
  await second.getByRole("button", { name: "Set my new password" }).click();
  await second.getByText("Your new password is set").waitFor();
  await logIn(second, username, "remembered at last");

  // Deleting the account: the password asked for, then signed out, and the name logs in no more.
  await second.goto(`${base}#/account`);
  const deletion = second.locator("form", { has: second.getByRole("button", { name: "Delete my account" }) });
  await deletion.getByLabel("Current password").fill("remembered at last");
  await deletion.getByRole("button", { name: "Delete my account" }).click();
  await second.getByRole("heading", { name: "Your account is deleted" }).waitFor();
  await second.goto(`${base}#/login`);
  await second.getByLabel("Username").fill(username);
  await second.getByLabel("Password").fill("remembered at last");
  await second.getByRole("button", { name: "Log in" }).click();
  await second.getByText("the username or password is wrong").waitFor();
  await Promise.all([first.context().close(), second.context().close()]);
}

/** The link to `#/page` in the newest e-mail to `address` about `subject`, from the local shop's mailbox. */
async function mailedLink(base, address, subject, page) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { messages } = await (await fetch(`${base}_local/mail.json`)).json();
    const found = messages.find((m) => m.to.includes(address) && m.subject === subject);
    if (found) return found.links.find((link) => link.includes(`#/${page}?token=`));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no e-mail "${subject}" to ${address} in the mailbox`);
}

/** A browser of its own: a new context, with nothing shared with the other. */
async function device(browser, watch) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await watch(page);
  return page;
}
