// The storefront: a small single-page app with no framework and no build step. This module is
// the router; each view is a module of its own under views/, and ui.js holds what they share.
//
// Each part of the page asks its own service and copes on its own when that service is down:
// the catalogue still shows when orders are unavailable, and signing in still works when the
// catalogue is down.

import { checkSession, markCurrentLink, refreshCartCount, renderHeader } from "./header.js";
import "./search-box.js";
import { h, notice, show } from "./ui.js";
import { accountView } from "./views/account.js";
import { adminView } from "./views/admin.js";
import { adminProductView } from "./views/admin-product.js";
import { adminProductsView } from "./views/admin-products.js";
import { adminReportsView } from "./views/admin-reports.js";
import { cartView } from "./views/cart.js";
import { catalogueView } from "./views/catalogue.js";
import { checkoutView } from "./views/checkout.js";
import { emailChangeView } from "./views/email.js";
import { loginView } from "./views/login.js";
import { orderView, stopPolling } from "./views/order.js";
import { ordersView } from "./views/orders.js";
import { productView } from "./views/product.js";
import { registerView } from "./views/register.js";
import { forgotView, resetView } from "./views/reset.js";
import { verifyView } from "./views/verify.js";

const ROUTES = [
  // The catalogue and the search are one listing; it reads what to show from the address.
  [/^#\/?(?:\?.*)?$/, catalogueView, "Serverless Shop"],
  [/^#\/search(?:\?.*)?$/, catalogueView, "Search"],
  [/^#\/product\/([^/?]+)$/, (slug) => productView(decodeURIComponent(slug)), "Product"],
  [/^#\/cart$/, cartView, "Your cart"],
  [/^#\/checkout(?:\/([0-9a-f]+))?$/, checkoutView, "Check out"],
  [/^#\/order\/([0-9a-f]+)$/, orderView, "Order"],
  [/^#\/orders(\?.*)?$/, ordersView, "Orders"],
  [/^#\/login(\?.*)?$/, loginView, "Log in"],
  [/^#\/register(\?.*)?$/, registerView, "Create an account"],
  [/^#\/account$/, () => accountView(), "Your account"],
  [/^#\/verify(\?.*)?$/, verifyView, "Confirm your e-mail address"],
  [/^#\/email(\?.*)?$/, emailChangeView, "Confirm your new e-mail address"],
  [/^#\/forgot$/, forgotView, "Forgot your password?"],
  [/^#\/reset(\?.*)?$/, resetView, "Choose a new password"],
  [/^#\/admin$/, adminView, "Admin"],
  [/^#\/admin\/products$/, adminProductsView, "Products on sale"],
  [/^#\/admin\/reports$/, adminReportsView, "Sales reports"],
  [/^#\/admin\/product\/([^/?]+)$/, (slug) => adminProductView(decodeURIComponent(slug)), "Edit a product"],
];

function route() {
  stopPolling();
  const hash = location.hash || "#/";
  markCurrentLink();
  for (const [pattern, render, title] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) {
      document.title = `${title} · Serverless Shop`;
      render(...match.slice(1));
      return;
    }
  }
  show(
    h(
      "section",
      {},
      h("h1", {}, "Not found"),
      notice("There is no such page.", "info"),
      h("p", {}, h("a", { href: "#/" }, "Go to the catalogue")),
    ),
  );
}

window.addEventListener("hashchange", route);
renderHeader();
route();
checkSession().then(refreshCartCount);
