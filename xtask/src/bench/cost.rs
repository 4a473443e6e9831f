//! What an order costs in Lambda compute, from the measured figures: the storefront's requests
//! for one order ([`JOURNEY`]), the authorizer before each one its route does not exempt, the
//! calls functions make to each other for them ([`INVOKED`]), and the consumers' share as the
//! shopping load counted it ([`CONSUMERS`]). Each call is billed for the duration [`billed_ms`]
//! models from its function's warm figures at the memory `template.yaml` gives it.
//!
//! The model, stated where it is used: a warm call waits on DynamoDB, S3, SQS or another
//! function for what the local figures show (the warm median less our CPU), and its own CPU
//! stretches by the share of a vCPU the memory buys (Lambda gives one vCPU at 1,769 MB, and a
//! share in proportion below it). Every function runs tokio's current-thread runtime, and
//! argon2 hashes on one lane, so one core is all a call uses. What it leaves out, and which
//! way that errs, the section says.

use std::collections::BTreeMap;

use super::{FunctionResult, Report};
use crate::Result;
use crate::template::{Function, Template};

/// Memory at which Lambda gives a function one full vCPU
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html>).
pub(crate) const MB_PER_VCPU: f64 = 1769.0;
/// Lambda on arm64 in eu-west-1, its first tier: per GB-second, and per million requests.
const PRICE_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_MILLION_REQUESTS: f64 = 0.20;

/// The storefront's API requests for one order (`web/`), as route keys: a customer who signs
/// in, searches the catalogue, opens two products, adds both, changes a quantity in the cart,
/// holds a card, checks out, watches the order until it is paid and opens the receipt.
const JOURNEY: &[(&str, u32)] = &[
    // `views/login.js`.
    ("POST /api/user/login", 1),
    // The catalogue is a search (`views/catalogue.js`); `GET /api/products` only stands in
    // when search is down.
    ("GET /api/search", 1),
    ("GET /api/product/{id}", 2),
    // `views/add-to-cart.js`, `views/cart.js`.
    ("POST /api/order/add-item", 2),
    ("POST /api/order/update-item", 1),
    // The header's cart count after signing in, after each add, after the change and after
    // checking out (`header.js`: five), and the cart page's (twice: on opening, and again
    // after the change) and the checkout page's own reads.
    ("GET /api/order", 8),
    ("POST /api/payment/card", 1),
    ("POST /api/order/checkout", 1),
    // The order page, then every 1.5 s until the order is paid (`views/order.js`): three, if
    // it is paid within three seconds.
    ("GET /api/order/{id}", 3),
    ("GET /api/order/{id}/receipt", 1),
];

/// Calls one function makes to another for [`JOURNEY`]'s requests (each allowed by the
/// caller's `lambda:InvokeFunction` in the template): (caller, callee, calls of the callee per
/// call of the caller). Adding an item asks the catalogue for it; checking out asks for each
/// of the order's two lines; a receipt asks for its order.
const INVOKED: &[(&str, &str, u32)] = &[
    ("order-add-item", "product-get", 1),
    ("order-checkout", "product-get", 2),
    ("receipt-get", "order-get", 1),
];

/// The consumers an order passes through: the orders' outbox relay, the charge, the
/// settlement, the receipt and the sale's record.
const CONSUMERS: &[&str] = &[
    "order-relay",
    "payment-charge",
    "order-settle",
    "receipt-email",
    "report-record",
];

/// How many calls of a function an order makes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Calls {
    /// As the journey and the calls between functions make them.
    PerOrder(u32),
    /// As the shopping load counted them, per checkout: a consumer's.
    Counted,
}

/// One function's share of an order, before it is priced.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Share {
    calls: Calls,
    memory_mb: u64,
}

/// What an order asks of each function, from the template: resolved once, priced against any
/// run's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// By function binary.
    shares: BTreeMap<String, Share>,
    /// API requests per order.
    requests: u32,
}

impl Order {
    /// The order [`JOURNEY`], [`INVOKED`] and [`CONSUMERS`] describe, with each function's
    /// memory and the authorizer's calls from `template`.
    pub fn from_template(template: &Template) -> Result<Self> {
        let functions = template.functions()?;
        let mut order = Self {
            shares: BTreeMap::new(),
            requests: 0,
        };
        for (key, calls) in JOURNEY {
            for id in route_functions(template, key)? {
                order.add(find(&functions, |f| f.logical_id == id)?, *calls);
            }
            order.requests += calls;
        }
        for (caller, callee, each) in INVOKED {
            let invoker = find(&functions, |f| f.binary == *caller)?;
            let invoked = find(&functions, |f| f.binary == *callee)?;
            if !invoker.policies.to_string().contains(&invoked.logical_id) {
                return Err(format!("{caller} may not invoke {callee} in the template").into());
            }
            let made = match order.shares.get(*caller).map(|share| share.calls) {
                Some(Calls::PerOrder(calls)) => calls * each,
                _ => return Err(format!("{caller} is not on the order's journey").into()),
            };
            order.add(invoked, made);
        }
        for binary in CONSUMERS {
            let consumer = find(&functions, |f| f.binary == *binary)?;
            if consumer.queue_triggers.is_empty() && consumer.stream_triggers.is_empty() {
                return Err(format!("{binary} is not a consumer in the template").into());
            }
            order.shares.insert(
                consumer.binary.clone(),
                Share {
                    calls: Calls::Counted,
                    memory_mb: memory(consumer),
                },
            );
        }
        Ok(order)
    }

    /// Counts `calls` more calls of `function`.
    fn add(&mut self, function: &Function, calls: u32) {
        let share = self.shares.entry(function.binary.clone()).or_insert(Share {
            calls: Calls::PerOrder(0),
            memory_mb: memory(function),
        });
        if let Calls::PerOrder(before) = share.calls {
            share.calls = Calls::PerOrder(before + calls);
        }
    }

    /// Each function's part of an order priced against `report`'s figures, in binary order, or
    /// why it cannot be (a function not measured, or a run without the load's counts).
    pub(super) fn priced(&self, report: &Report) -> std::result::Result<Vec<Part>, String> {
        let load = report.load.as_ref().ok_or("no shopping load in this run")?;
        if load.invocations.is_empty() || load.checkouts == 0 {
            return Err("the load did not count its calls (a run from before they were)".into());
        }
        #[allow(clippy::cast_precision_loss)]
        let per_checkout = |counts: &BTreeMap<String, usize>, binary: &str| {
            counts
                .get(binary)
                .map(|count| *count as f64 / load.checkouts as f64)
                .ok_or_else(|| format!("the load counted no call of {binary}"))
        };
        self.shares
            .iter()
            .map(|(binary, share)| {
                let result = report
                    .functions
                    .iter()
                    .find(|result| &result.name == binary)
                    .ok_or_else(|| format!("{binary} was not measured"))?;
                // A consumer's batches are priced record by record, each as if it came alone
                // (as its sample event does): a batch of several shares one call's fixed cost,
                // so this errs high.
                let (calls, priced_calls) = match share.calls {
                    Calls::PerOrder(calls) => (f64::from(calls), f64::from(calls)),
                    Calls::Counted => (
                        per_checkout(&load.invocations, binary)?,
                        per_checkout(&load.records, binary)?,
                    ),
                };
                Ok(Part {
                    function: binary.clone(),
                    calls,
                    priced_calls,
                    memory_mb: share.memory_mb,
                    billed_ms: billed_ms(result, share.memory_mb),
                })
            })
            .collect()
    }
}

/// The functions a request to `key` runs: its authorizer's, then its own.
fn route_functions(template: &Template, key: &str) -> Result<Vec<String>> {
    let route = template
        .routes()?
        .into_iter()
        .find(|route| route.key() == key)
        .ok_or_else(|| format!("the order's journey names {key}, not in the template"))?;
    let mut run = Vec::new();
    if let Some(name) = &route.authorizer {
        let authorizer = template
            .authorizers()?
            .into_iter()
            .find(|authorizer| &authorizer.name == name)
            .ok_or_else(|| format!("{key}: no authorizer {name}"))?;
        if authorizer.cache_seconds > 0 {
            return Err(format!(
                "{name} caches its verdicts: an order's authorizer calls would depend on how \
                 long a customer stays"
            )
            .into());
        }
        run.push(authorizer.function);
    }
    run.push(route.function);
    Ok(run)
}

/// The function `which` picks out.
fn find(functions: &[Function], which: impl Fn(&Function) -> bool) -> Result<&Function> {
    functions
        .iter()
        .find(|function| which(function))
        .ok_or_else(|| "the order names a function the template does not declare".into())
}

/// The memory the template gives `function` (Lambda's default, 128 MB, if none).
fn memory(function: &Function) -> u64 {
    function.memory_size.unwrap_or(128)
}

/// One function's part of an order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Part {
    pub(super) function: String,
    /// Invocations per order.
    pub(super) calls: f64,
    /// One-record calls priced per order: the invocations, or a consumer's records.
    pub(super) priced_calls: f64,
    pub(super) memory_mb: u64,
    /// A warm call's billed duration, modelled ([`billed_ms`]).
    pub(super) billed_ms: f64,
}

impl Part {
    /// GB-seconds an order bills for this function.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn gb_seconds(&self) -> f64 {
        self.priced_calls * self.billed_ms / 1000.0 * self.memory_mb as f64 / 1024.0
    }
}

/// A warm call's billed duration on Lambda at `memory_mb`, modelled from the local figures:
/// the wait (warm median less our CPU) as measured, our CPU stretched by the vCPU share the
/// memory buys, rounded up to Lambda's billing millisecond.
#[allow(clippy::cast_precision_loss)]
pub(super) fn billed_ms(result: &FunctionResult, memory_mb: u64) -> f64 {
    let cpu_ms = result.cpu_per_call_us / 1000.0;
    let wait_ms = (result.warm_p50_ms - cpu_ms).max(0.0);
    let share = (memory_mb as f64 / MB_PER_VCPU).min(1.0);
    (wait_ms + cpu_ms / share).ceil().max(1.0)
}

/// The section of `BENCHMARKS.md` that prices an order's compute: nothing for a screen, and
/// why not for a run whose figures cannot price it.
pub(super) fn section(order: &Order, report: &Report) -> String {
    if report.load.is_none() {
        return String::new();
    }
    let heading = "\n## What an order costs in Lambda\n\n";
    let parts = match order.priced(report) {
        Ok(parts) => parts,
        Err(why) => return format!("{heading}Not priced: {why}.\n"),
    };
    let mut out = format!(
        "{heading}An order as the storefront makes it (`xtask/src/bench/cost.rs`): a customer signs in, searches the catalogue, opens two products, adds both, changes a quantity, holds a card, checks out, watches the order until it is paid and opens the receipt. That is {} API requests, the authorizer before each one its route does not exempt, the calls functions make to each other for them (the catalogue asked for each item added and each line checked out, the order for the receipt), and the consumers' share per checkout as the load above counted it.\n\nA warm call's billed duration is modelled from its figures in the first table: the wait (warm p50 less our CPU) as measured here, and our CPU stretched by the share of a vCPU its memory buys (one vCPU at 1,769 MB), rounded up to the millisecond. Where it errs: low for the median call rather than the mean; low where a call waits on S3, SES or another function, which answer here faster than on AWS (`receipt-get`, `receipt-email`, the calls to `product-get`); either way for this machine's core standing in for a Graviton core; high for the consumers, whose every record is priced as a call of its own (their batches share a call's fixed cost). Init, billed for each environment Lambda starts, is not in it, nor are the API's requests, logs and traces (the README's cost table has those).\n\n| Function | Calls an order | Priced as one-record calls | Memory MB | Billed ms a call | GB-s per million orders |\n|---|---:|---:|---:|---:|---:|\n",
        order.requests
    );
    for part in &parts {
        out.push_str(&format!(
            "| `{}` | {:.2} | {:.2} | {} | {:.0} | {:.0} |\n",
            part.function,
            part.calls,
            part.priced_calls,
            part.memory_mb,
            part.billed_ms,
            part.gb_seconds() * 1e6
        ));
    }
    let calls: f64 = parts.iter().map(|part| part.calls).sum();
    let gb_seconds: f64 = parts.iter().map(Part::gb_seconds).sum::<f64>() * 1e6;
    out.push_str(&format!(
        "| **An order** | **{calls:.1}** | | | | **{gb_seconds:.0}** |\n\nPer million orders: {calls:.1} million invocations (${:.2}) and {gb_seconds:.0} GB-s (${:.2}) at eu-west-1's arm64 prices.\n",
        calls * PRICE_MILLION_REQUESTS,
        gb_seconds * PRICE_GB_SECOND
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::LoadResult;
    use crate::bench::targets::tests::result;

    #[test]
    fn a_call_stretches_its_cpu_by_the_share_of_a_vcpu_its_memory_buys() {
        // 2 ms in all, 1 ms of it our CPU: at 128 MB that CPU takes 13.8 ms.
        let mut call = result("order-get", 5.0, 2.0, 1000.0);
        call.warm_p50_ms = 2.0;
        assert_eq!(billed_ms(&call, 128), 15.0);
        assert_eq!(billed_ms(&call, 1769), 2.0);
        assert_eq!(
            billed_ms(&call, 3538),
            2.0,
            "one thread's call gains nothing past a vCPU"
        );
        call.cpu_per_call_us = 5000.0;
        call.warm_p50_ms = 3.0;
        assert_eq!(billed_ms(&call, 1769), 5.0, "no negative wait");
    }

    #[test]
    fn an_order_is_priced_from_the_runs_figures_and_the_loads_counts() {
        let order = Order::from_template(&Template::workspace().unwrap()).unwrap();
        let functions = order
            .shares
            .keys()
            .map(|binary| {
                let mut measured = result(binary, 5.0, 8.0, 1000.0);
                measured.warm_p50_ms = 2.0;
                measured
            })
            .collect();
        let mut load: LoadResult = serde_json::from_value(serde_json::json!({
            "seconds": 30.0, "customers": 2, "checkouts": 3, "checkouts_per_second": 0.1,
            "routes": {}, "errors": [], "paid": 3, "emailed": 3,
        }))
        .unwrap();
        let mut report = Report {
            functions,
            hello: result("bench-hello", 5.0, 4.0, 40.0),
            sdk_read: None,
            load: Some(load.clone()),
        };
        let unpriced = section(&order, &report);
        assert!(
            unpriced.contains("Not priced: the load did not count its calls"),
            "{unpriced}"
        );

        // Each consumer called twice a checkout, with three records.
        let counted = |count| {
            CONSUMERS
                .iter()
                .map(|binary| ((*binary).to_owned(), count))
                .collect()
        };
        load.invocations = counted(6);
        load.records = counted(9);
        report.load = Some(load);
        let priced = section(&order, &report);
        // 17 calls of 15 ms (1 ms waited, 1 ms of CPU at 128 MB's share) at 1/8 GB.
        assert!(
            priced.contains("| `user-authorizer` | 17.00 | 17.00 | 128 | 15 | 31875 |"),
            "{priced}"
        );
        // Priced by the record; 256 MB buys twice the CPU of 128.
        assert!(
            priced.contains("| `receipt-email` | 2.00 | 3.00 | 256 | 8 | 6000 |"),
            "{priced}"
        );
        // 1024 MB: 1 ms and 1.73 ms.
        assert!(
            priced.contains("| `user-login` | 1.00 | 1.00 | 1024 | 3 | 3000 |"),
            "{priced}"
        );
        assert!(priced.contains("| **An order** | **"), "{priced}");
        report
            .functions
            .retain(|result| result.name != "search-query");
        assert!(section(&order, &report).contains("Not priced: search-query was not measured"));
    }

    #[test]
    fn the_order_resolves_against_the_template() {
        let order = Order::from_template(&Template::workspace().unwrap()).unwrap();
        assert_eq!(order.requests, 21);
        let share = |binary: &str| {
            let share = order.shares[binary];
            (share.calls, share.memory_mb)
        };
        // Every request but the log-in's, the search's and the two products' is checked.
        assert_eq!(share("user-authorizer"), (Calls::PerOrder(17), 128));
        assert_eq!(share("user-login"), (Calls::PerOrder(1), 1024));
        assert_eq!(share("search-query"), (Calls::PerOrder(1), 512));
        assert_eq!(share("order-current"), (Calls::PerOrder(8), 128));
        // Two opened, one asked for by each add and one for each line checked out.
        assert_eq!(share("product-get"), (Calls::PerOrder(6), 128));
        // Three looks at the order, and the receipt's.
        assert_eq!(share("order-get"), (Calls::PerOrder(4), 128));
        assert_eq!(share("receipt-email"), (Calls::Counted, 256));
        assert!(!order.shares.contains_key("product-list"));
    }
}
