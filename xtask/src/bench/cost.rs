//! What an order costs in Lambda compute, from the measured figures: the storefront's requests
//! for one order ([`JOURNEY`]), the authorizer before each one its route does not exempt, and
//! the consumers' calls per checkout as the shopping load counted them ([`CONSUMERS`]). Each
//! call is billed for the duration [`billed_ms`] models from its function's warm figures at the
//! memory `template.yaml` gives it.
//!
//! The model, stated where it is used: a warm call waits on DynamoDB, S3 or SQS for what the
//! local figures show (the warm median less our CPU), and its own CPU stretches by the share
//! of a vCPU the memory buys (Lambda gives one vCPU at 1,769 MB, and a share in proportion
//! below it). This machine's core stands in for a Graviton core. Local emulators answer in a
//! few milliseconds, as DynamoDB does within a region; a cold start's init, billed too, is
//! not in the figures (it depends on how often environments start).

use std::collections::BTreeMap;

use super::{FunctionResult, Report};
use crate::Result;
use crate::template::Template;

/// Memory at which Lambda gives a function one full vCPU
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html>).
const MB_PER_VCPU: f64 = 1769.0;
/// Lambda on arm64 in eu-west-1, its first tier: per GB-second, and per million requests.
pub(super) const PRICE_GB_SECOND: f64 = 0.000_013_333_4;
pub(super) const PRICE_MILLION_REQUESTS: f64 = 0.20;

/// The storefront's API requests for one order (`web/`), as route keys: a customer who signs
/// in, looks at the catalogue and two products, adds both, changes a quantity in the cart,
/// holds a card, checks out, watches the order until it is paid and opens the receipt.
pub(super) const JOURNEY: &[(&str, u32)] = &[
    ("POST /api/user/login", 1),
    ("GET /api/categories", 1),
    ("GET /api/products", 1),
    ("GET /api/product/{id}", 2),
    ("POST /api/order/add-item", 2),
    ("POST /api/order/update-item", 1),
    // The header's cart count after signing in and after each change (four), and the cart and
    // checkout pages' own reads (`web/header.js`, `views/cart.js`, `views/checkout.js`).
    ("GET /api/order", 7),
    ("POST /api/payment/card", 1),
    ("POST /api/order/checkout", 1),
    // The order page, then every 1.5 s until the order is paid (`views/order.js`): a second
    // or two on AWS.
    ("GET /api/order/{id}", 3),
    ("GET /api/order/{id}/receipt", 1),
];

/// The consumers an order passes through, counted per checkout by the shopping load: the
/// orders' outbox relay, the charge, the settlement, the receipt and the sale's record.
pub(super) const CONSUMERS: &[&str] = &[
    "order-relay",
    "payment-charge",
    "order-settle",
    "receipt-email",
    "report-record",
];

/// What an order asks of each function, from the template: resolved once, priced against any
/// run's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Function binary to (calls per order, or `None` for a consumer the load counts; memory MB).
    parts: BTreeMap<String, (Option<u32>, u64)>,
    /// API requests per order.
    pub requests: u32,
}

impl Order {
    /// The order [`JOURNEY`] and [`CONSUMERS`] describe, with each function's memory and the
    /// authorizer's calls from `template`.
    pub fn from_template(template: &Template) -> Result<Self> {
        let functions = template.functions()?;
        let routes = template.routes()?;
        let authorizers = template.authorizers()?;
        let by_id = |id: &str| functions.iter().find(|function| function.logical_id == id);
        let memory = |function: &crate::template::Function| function.memory_size.unwrap_or(128);
        let mut parts: BTreeMap<String, (Option<u32>, u64)> = BTreeMap::new();
        let mut requests = 0;
        for (key, calls) in JOURNEY {
            let route = routes
                .iter()
                .find(|route| route.key() == *key)
                .ok_or_else(|| format!("the order's journey names {key}, not in the template"))?;
            let mut add = |id: &str| -> Result<()> {
                let function =
                    by_id(id).ok_or_else(|| format!("{key}: no function {id} in the template"))?;
                let part = parts
                    .entry(function.binary.clone())
                    .or_insert((Some(0), memory(function)));
                part.0 = Some(part.0.unwrap_or(0) + calls);
                Ok(())
            };
            add(&route.function)?;
            if let Some(name) = &route.authorizer {
                let authorizer = authorizers
                    .iter()
                    .find(|authorizer| &authorizer.name == name)
                    .ok_or_else(|| format!("{key}: no authorizer {name}"))?;
                if authorizer.cache_seconds > 0 {
                    return Err(format!(
                        "{name} caches its verdicts: an order's authorizer calls would depend on \
                         how long a customer stays"
                    )
                    .into());
                }
                add(&authorizer.function)?;
            }
            requests += calls;
        }
        for binary in CONSUMERS {
            let function = functions
                .iter()
                .find(|function| function.binary == *binary)
                .filter(|function| {
                    !function.queue_triggers.is_empty() || !function.stream_triggers.is_empty()
                })
                .ok_or_else(|| format!("{binary} is not a consumer in the template"))?;
            parts.insert(function.binary.clone(), (None, memory(function)));
        }
        Ok(Self { parts, requests })
    }

    /// Each function's part of an order priced against `report`'s figures, in binary order, or
    /// why it cannot be (a function not measured, or a run without the load's counts).
    pub(super) fn priced(&self, report: &Report) -> std::result::Result<Vec<Part>, String> {
        let load = report.load.as_ref().ok_or("no shopping load in this run")?;
        if load.invocations.is_empty() || load.checkouts == 0 {
            return Err("the load did not count its calls (a run before they were)".into());
        }
        self.parts
            .iter()
            .map(|(binary, (calls, memory_mb))| {
                let result = report
                    .functions
                    .iter()
                    .find(|result| &result.name == binary)
                    .ok_or_else(|| format!("{binary} was not measured"))?;
                #[allow(clippy::cast_precision_loss)]
                let calls = match calls {
                    Some(calls) => f64::from(*calls),
                    None => {
                        load.invocations.get(binary).copied().unwrap_or(0) as f64
                            / load.checkouts as f64
                    }
                };
                Ok(Part {
                    function: binary.clone(),
                    calls,
                    memory_mb: *memory_mb,
                    billed_ms: billed_ms(result, *memory_mb),
                })
            })
            .collect()
    }
}

/// One function's part of an order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Part {
    pub(super) function: String,
    pub(super) calls: f64,
    pub(super) memory_mb: u64,
    /// A warm call's billed duration, modelled ([`billed_ms`]).
    pub(super) billed_ms: f64,
}

impl Part {
    /// GB-seconds an order bills for this function.
    #[allow(clippy::cast_precision_loss)]
    pub(super) fn gb_seconds(&self) -> f64 {
        self.calls * self.billed_ms / 1000.0 * self.memory_mb as f64 / 1024.0
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

/// The section of `BENCHMARKS.md` that prices an order's compute; empty without the load's
/// counts (a screen, or a run from before them).
pub(super) fn section(order: &Order, report: &Report) -> String {
    let Ok(parts) = order.priced(report) else {
        return String::new();
    };
    let mut out = format!(
        "\n## What an order costs in Lambda\n\nAn order as the storefront makes it (`xtask/src/bench/cost.rs`): a customer signs in, looks at the catalogue and two products, adds both, changes a quantity, holds a card, checks out, watches the order until it is paid and opens the receipt. That is {} API requests, the authorizer before each one its route does not exempt, and the consumers' calls per checkout as the load above counted them. A warm call's billed duration is modelled from its figures in the first table: the wait (warm p50 less our CPU) as measured here, and our CPU stretched by the share of a vCPU its memory buys (one vCPU at 1,769 MB; this machine's core stands in for a Graviton core), rounded up to the millisecond.\n\n| Function | Calls an order | Memory MB | Billed ms a call | GB-s per million orders |\n|---|---:|---:|---:|---:|\n",
        order.requests
    );
    for part in &parts {
        out.push_str(&format!(
            "| `{}` | {:.2} | {} | {:.0} | {:.0} |\n",
            part.function,
            part.calls,
            part.memory_mb,
            part.billed_ms,
            part.gb_seconds() * 1e6
        ));
    }
    let calls: f64 = parts.iter().map(|part| part.calls).sum();
    let gb_seconds: f64 = parts.iter().map(Part::gb_seconds).sum::<f64>() * 1e6;
    out.push_str(&format!(
        "| **An order** | **{calls:.1}** | | | **{gb_seconds:.0}** |\n\nPer million orders: {calls:.1} million invocations (${:.2}) and {gb_seconds:.0} GB-s (${:.2}) at eu-west-1's arm64 prices. A cold start's init is billed as well, once for each environment Lambda starts.\n",
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
            .parts
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
        assert_eq!(section(&order, &report), "", "no counts, no price");

        load.invocations = CONSUMERS
            .iter()
            .map(|binary| ((*binary).to_owned(), 6))
            .collect();
        report.load = Some(load);
        let priced = section(&order, &report);
        // 16 calls of 15 ms (1 ms waited, 1 ms of CPU at 128 MB's share) at 1/8 GB.
        assert!(
            priced.contains("| `user-authorizer` | 16.00 | 128 | 15 | 30000 |"),
            "{priced}"
        );
        // Consumers as counted: 6 calls over 3 checkouts; 256 MB buys twice the CPU.
        assert!(
            priced.contains("| `receipt-email` | 2.00 | 256 | 8 |"),
            "{priced}"
        );
        // 1024 MB: 1 ms + 1.73 ms.
        assert!(
            priced.contains("| `user-login` | 1.00 | 1024 | 3 | 3000 |"),
            "{priced}"
        );
    }

    #[test]
    fn the_order_resolves_against_the_template() {
        let order = Order::from_template(&Template::workspace().unwrap()).unwrap();
        let total: u32 = JOURNEY.iter().map(|(_, calls)| calls).sum();
        assert_eq!(order.requests, total);
        // Every request but the log-in and the catalogue's passes the authorizer.
        assert_eq!(order.parts["user-authorizer"], (Some(16), 128));
        assert_eq!(order.parts["user-login"], (Some(1), 1024));
        assert_eq!(order.parts["order-current"], (Some(7), 128));
        assert_eq!(order.parts["receipt-email"], (None, 256));
    }
}
