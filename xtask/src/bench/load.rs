//! The shopping load: many customers at once, each registering, logging in, browsing, filling a
//! cart and checking out, again and again until the time is up; then every checkout is followed
//! to its payment and its e-mail, and the stores are reconciled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::stats::{millis, percentile};
use super::{BenchConfig, LoadResult, PASSWORD, Spread};
use crate::Result;
use crate::local::LocalShop;
use crate::local::runtime::Timing;
use crate::reconcile::{count_receipt_emails, reconcile};
use crate::visitor::{Timings, Unexpected, Visitor};

/// What went wrong, and each checkout: the order's id and the customer who placed it.
#[derive(Debug, Default)]
struct Tally {
    errors: Vec<String>,
    checkouts: Vec<(String, Visitor)>,
}

/// Many customers at once, each registering, logging in, browsing, filling a cart and checking
/// out, again and again until the time is up; then every paid order's e-mail is looked for.
pub(super) async fn run(shop: &LocalShop, config: &BenchConfig) -> Result<LoadResult> {
    let timings = Timings::default();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let (before, records_before) = (shop.invocations(), shop.records());
    let (timed_before, dependencies_before) = (shop.timed(), shop.dependency_calls());
    let started = Instant::now();
    let mut customers = Vec::new();
    for customer in 0..config.customers {
        let tally = Arc::clone(&tally);
        let stop = Arc::clone(&stop);
        let timings = Arc::clone(&timings);
        let address = shop.http;
        let names = shop.names.clone();
        customers.push(tokio::spawn(async move {
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                let visitor = Visitor::timed(address, Arc::clone(&timings));
                let visit = shop_once(visitor, &names, customer, round).await;
                let mut tally = tally.lock().await;
                match visit {
                    Ok(Some(checkout)) => tally.checkouts.push(checkout),
                    Ok(None) => {}
                    Err(unexpected) => tally.errors.push(unexpected.to_string()),
                }
                round += 1;
            }
        }));
    }
    tokio::time::sleep(config.load).await;
    stop.store(true, Ordering::Relaxed);
    for customer in customers {
        customer.await?;
    }
    let elapsed = started.elapsed();
    // The routes' functions are counted here, before watching the orders settle adds calls
    // of its own; the consumers once the queues have drained.
    let (requested, timed_then) = (shop.invocations(), shop.timings_since(&timed_before));

    // Let the queues finish: every checked-out order should end paid and e-mailed.
    let checkouts = tally.lock().await.checkouts.clone();
    // As long again as the load ran (two minutes at least): a backlog is not a loss.
    let deadline = Instant::now() + config.load.max(Duration::from_secs(120));
    let mut paid = 0;
    for (id, customer) in &checkouts {
        let left = deadline.saturating_duration_since(Instant::now());
        if customer.settled(id, left).await["status"] == "PAID" {
            paid += 1;
        }
    }
    let ids: Vec<String> = checkouts.iter().map(|(id, _)| id.clone()).collect();
    let emailed = loop {
        let (_, emailed) = count_receipt_emails(&ids).await?;
        if emailed == ids.len() || Instant::now() > deadline {
            break emailed;
        }
        // Rarely: each look reads every e-mail moto holds, which slows the consumers it waits on.
        tokio::time::sleep(Duration::from_secs(10)).await;
    };
    let drained = quiet(shop, deadline).await;
    // Once quiet, not before: the outbox's last messages may still be on their way.
    let reconciliation = reconcile(&shop.names, &ids).await?;
    let timed_now = shop.timings_since(&timed_before);
    let mut until = BTreeMap::new();
    let mut spreads = BTreeMap::new();
    for (binary, after) in drained {
        // A consumer's calls until the shop went quiet, a route's until the customers stopped.
        let (count, timed) = if shop.is_consumer(&binary) {
            (after, &timed_now)
        } else {
            (requested.get(&binary).copied().unwrap_or(0), &timed_then)
        };
        let spread = spread(timed.get(&binary).map_or(&[][..], Vec::as_slice));
        if spread.calls > 0 {
            spreads.insert(binary.clone(), spread);
        }
        until.insert(binary, count);
    }
    let invocations = grown(&before, &until);
    // What the shop held before the load (the catalogue's seeding, say) is not the load's.
    let records = grown(&records_before, &shop.records());
    let dependencies = dependency_means(&dependencies_before, &shop.dependency_calls());

    let tally = tally.lock().await;
    let latencies = timings.lock().map_err(|_| "a shopper panicked")?.clone();
    let routes = latencies
        .iter()
        .map(|(route, samples)| {
            let mut samples = samples.clone();
            let p50 = millis(percentile(&mut samples, 50));
            let p99 = millis(percentile(&mut samples, 99));
            ((*route).to_owned(), (samples.len(), p50, p99))
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    Ok(LoadResult {
        seconds: elapsed.as_secs_f64(),
        customers: config.customers,
        checkouts: checkouts.len(),
        checkouts_per_second: checkouts.len() as f64 / elapsed.as_secs_f64(),
        routes,
        errors: tally.errors.clone(),
        paid,
        emailed,
        reconciliation,
        invocations,
        records,
        timings: spreads,
        dependencies,
    })
}

/// The waits and runs of `timings` as percentiles.
fn spread(timings: &[Timing]) -> Spread {
    let (mut waits, mut runs): (Vec<Duration>, Vec<Duration>) = timings
        .iter()
        .map(|timing| (timing.wait, timing.run))
        .unzip();
    Spread {
        calls: timings.len(),
        wait_p50_ms: millis(percentile(&mut waits, 50)),
        wait_p99_ms: millis(percentile(&mut waits, 99)),
        run_p50_ms: millis(percentile(&mut runs, 50)),
        run_p99_ms: millis(percentile(&mut runs, 99)),
    }
}

/// The calls to each dependency between `before` and `after` (each a count and a sum of ms):
/// how many, and their mean.
#[allow(clippy::cast_precision_loss)]
fn dependency_means(
    before: &BTreeMap<String, (u64, f64)>,
    after: &BTreeMap<String, (u64, f64)>,
) -> BTreeMap<String, (u64, f64)> {
    after
        .iter()
        .filter_map(|(dependency, (count, sum))| {
            let (count_before, sum_before) = before.get(dependency).copied().unwrap_or_default();
            let calls = count.checked_sub(count_before).filter(|calls| *calls > 0)?;
            Some((
                dependency.clone(),
                (calls, (sum - sum_before) / calls as f64),
            ))
        })
        .collect()
}

/// Each function's invocations once the shop has gone quiet: no function running or waiting,
/// and no new invocation for a while longer than the triggers' pause between empty polls (the
/// sale's record, for one, is not waited for above), or at `deadline`.
async fn quiet(shop: &LocalShop, deadline: Instant) -> BTreeMap<String, usize> {
    let mut seen = shop.invocations();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = shop.invocations();
        if (now == seen && shop.idle()) || Instant::now() > deadline {
            return now;
        }
        seen = now;
    }
}

/// What `after` counts beyond `before`, for each binary whose count grew.
fn grown(
    before: &BTreeMap<String, usize>,
    after: &BTreeMap<String, usize>,
) -> BTreeMap<String, usize> {
    after
        .iter()
        .map(|(binary, count)| {
            let since = before.get(binary).copied().unwrap_or(0);
            (binary.clone(), count.saturating_sub(since))
        })
        .filter(|(_, grown)| *grown > 0)
        .collect()
}

/// One customer's visit: the order it checked out, if the catalogue had enough to buy.
async fn shop_once(
    mut visitor: Visitor,
    names: &crate::local::names::LocalNames,
    customer: usize,
    round: usize,
) -> std::result::Result<Option<(String, Visitor)>, Unexpected> {
    let username = format!(
        "shopper{customer}x{round}y{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    visitor.sign_up(&username, PASSWORD).await?;
    crate::seed::vouch_for(names, &username)
        .await
        .map_err(|err| Unexpected {
            route: "(confirming the address)",
            status: 0,
            body: err.to_string(),
        })?;
    let slugs = visitor.browse(12).await?;
    if slugs.len() < 2 {
        return Ok(None);
    }
    let first = &slugs[(customer + round) % slugs.len()];
    let second = &slugs[(customer + round + 1) % slugs.len()];
    visitor.product(first).await?;
    let quantity = 1 + u32::try_from(round % 3).unwrap_or(0);
    for slug in [first, second] {
        visitor.add(slug, quantity).await?;
    }
    visitor.cart().await?;
    let id = visitor.check_out().await?;
    Ok(Some((id, visitor)))
}

/// The load's part of `BENCHMARKS.md`.
pub(super) fn section(load: &LoadResult, out: &mut String) {
    out.push_str(&format!(
        "\n## Shopping load\n\n{} customers shopping at once for {:.0} s through the local shop (each registers, logs in, browses, adds two products, looks at the cart and checks out): **{} checkouts, {:.2} a second**; {} paid and {} e-mailed of {}; **{} errors**.\n\n",
        load.customers,
        load.seconds,
        load.checkouts,
        load.checkouts_per_second,
        load.paid,
        load.emailed,
        load.checkouts,
        load.errors.len()
    ));
    out.push_str("| Route | Requests | p50 ms | p99 ms |\n|---|---:|---:|---:|\n");
    for (route, (count, p50, p99)) in &load.routes {
        out.push_str(&format!("| `{route}` | {count} | {p50:.1} | {p99:.1} |\n"));
    }
    let books = &load.reconciliation;
    out.push_str(&format!(
        "\nReconciled from the stores once the queues drained: {} paid orders, {} approved charges in the bank's ledger, {} billing records approved, {} receipt e-mails (for {} orders); dead-letter queues: {}. **{}**\n",
        load.paid,
        books.charges,
        books.approved_payments,
        books.emails,
        books.orders_emailed,
        books
            .dead_letters
            .iter()
            .map(|(queue, depth)| format!("`{queue}` {depth}"))
            .collect::<Vec<_>>()
            .join(", "),
        if books.balances(load.paid) && load.paid == load.checkouts {
            "Every checkout was paid, charged, recorded and e-mailed exactly once."
        } else {
            "These do not balance."
        }
    ));
    if !load.invocations.is_empty() && load.checkouts > 0 {
        out.push_str(&format!(
            "\nCalls per checkout (a consumer's counted until the shop went quiet, any other function's until the customers stopped, calls from other functions included): {}. Messages or stream records per checkout, each consumer's: {}.\n",
            per_checkout(&load.invocations, load.checkouts),
            per_checkout(&load.records, load.checkouts)
        ));
    }
    timings_section(load, out);
    out.push('\n');
    if !load.errors.is_empty() {
        out.push_str("\nErrors (first ten):\n\n");
        for error in load.errors.iter().take(10) {
            out.push_str(&format!("- {error}\n"));
        }
    }
}

/// Where the functions' time went during the load: the local runtime's queue (at most
/// `MAX_WORKERS` processes a function) or the function, and its calls to AWS.
fn timings_section(load: &LoadResult, out: &mut String) {
    if load.timings.is_empty() {
        return;
    }
    out.push_str(&format!(
        "\nWhere each function's time went (a route's calls until the customers stopped, a consumer's until the shop went quiet): waiting for one of the local runtime's processes (at most {} a function, where Lambda would start more; a call that started one waited for its start and init), then running.\n\n| Function | Calls | Waited p50 ms | Waited p99 ms | Ran p50 ms | Ran p99 ms |\n|---|---:|---:|---:|---:|---:|\n",
        crate::local::runtime::MAX_WORKERS
    ));
    for (binary, spread) in &load.timings {
        out.push_str(&format!(
            "| `{binary}` | {} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            spread.calls,
            spread.wait_p50_ms,
            spread.wait_p99_ms,
            spread.run_p50_ms,
            spread.run_p99_ms
        ));
    }
    if !load.dependencies.is_empty() {
        let calls: Vec<String> = load
            .dependencies
            .iter()
            .map(|(dependency, (count, mean))| {
                format!("{dependency} {count} calls, {mean:.1} ms each on average")
            })
            .collect();
        out.push_str(&format!(
            "\nThe functions' calls to the local AWS stack during the load, as their `DependencyLatency` metric timed them: {}.\n",
            calls.join("; ")
        ));
    }
}

/// Each of `counts` divided by the checkouts, as the report lists them.
#[allow(clippy::cast_precision_loss)]
fn per_checkout(counts: &BTreeMap<String, usize>, checkouts: usize) -> String {
    counts
        .iter()
        .map(|(binary, count)| format!("`{binary}` {:.2}", *count as f64 / checkouts as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::{dependency_means, spread};
    use crate::local::runtime::Timing;

    #[test]
    fn waits_and_runs_are_told_apart() {
        let timings: Vec<Timing> = (1..=100)
            .map(|n| Timing {
                wait: Duration::from_millis(10 * n),
                run: Duration::from_millis(n),
            })
            .collect();
        let spread = spread(&timings);
        assert_eq!(spread.calls, 100);
        assert_eq!((spread.wait_p50_ms, spread.wait_p99_ms), (500.0, 990.0));
        assert_eq!((spread.run_p50_ms, spread.run_p99_ms), (50.0, 99.0));
        assert_eq!(super::spread(&[]).calls, 0);
    }

    #[test]
    fn a_dependency_s_calls_are_the_load_s_only() {
        let before = BTreeMap::from([("DynamoDB".to_owned(), (10, 100.0))]);
        let after = BTreeMap::from([
            ("DynamoDB".to_owned(), (30, 500.0)),
            ("SQS".to_owned(), (4, 8.0)),
            ("S3".to_owned(), (0, 0.0)),
        ]);
        assert_eq!(
            dependency_means(&before, &after),
            BTreeMap::from([
                ("DynamoDB".to_owned(), (20, 20.0)),
                ("SQS".to_owned(), (4, 2.0)),
            ])
        );
    }
}
