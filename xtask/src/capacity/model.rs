//! From the peak's work and the deployment's settings to the checkouts a second each part of
//! the stack carries: one [`Ceiling`] per limit on the path.

use std::collections::BTreeMap;

use super::deployment::{Deployment, QueueMode};
use super::limits::{self, Limit};
use super::work::{self, Key, PEAK_RECORDS, PEAK_ROUTES};
use crate::Result;

/// What bounds a ceiling.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// A limit AWS does not raise: the design must live within it.
    Fixed(Limit),
    /// A quota AWS raises on request: a peak asks for what it needs.
    Quota(Limit),
    /// A setting of the template (where it is set).
    Setting(String),
}

/// One limit, the demand a checkout puts on it, and the checkouts a second it allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceiling {
    pub component: String,
    /// Of the limit's unit, for each checkout a second.
    pub per_checkout: f64,
    pub limit: f64,
    pub unit: &'static str,
    pub bound: Bound,
}

impl Ceiling {
    /// Checkouts a second at which the limit is reached.
    pub fn checkouts(&self) -> f64 {
        if self.per_checkout <= 0.0 {
            f64::INFINITY
        } else {
            self.limit / self.per_checkout
        }
    }

    /// Whether raising an AWS quota lifts it.
    pub fn adjustable(&self) -> bool {
        matches!(self.bound, Bound::Quota(_))
    }
}

/// Every ceiling, lowest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    pub ceilings: Vec<Ceiling>,
}

impl Capacity {
    /// The lowest ceiling no quota request lifts: the shop's, and its first bottleneck.
    pub fn first_bottleneck(&self) -> Option<&Ceiling> {
        self.ceilings.iter().find(|ceiling| !ceiling.adjustable())
    }
}

/// The ceiling `limit` puts on a demand of `per_checkout` of its unit a checkout.
fn against(component: String, per_checkout: f64, limit: Limit) -> Ceiling {
    Ceiling {
        component,
        per_checkout,
        limit: limit.value,
        unit: limit.unit,
        bound: if limit.adjustable {
            Bound::Quota(limit)
        } else {
            Bound::Fixed(limit)
        },
    }
}

/// Calls a second of each function for one checkout a second: the routes', the authorizer's,
/// the consumers', and what they invoke.
pub fn calls(deployment: &Deployment) -> Result<BTreeMap<&'static str, f64>> {
    let mut calls: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut add = |function: &str, times: f64| -> Result<()> {
        let work = work::of(function).ok_or_else(|| format!("no work declared for {function}"))?;
        *calls.entry(work.function).or_default() += times;
        for (callee, each) in work.invokes {
            let callee =
                work::of(callee).ok_or_else(|| format!("no work declared for {callee}"))?;
            *calls.entry(callee.function).or_default() += times * each;
        }
        Ok(())
    };
    for (route, times) in PEAK_ROUTES {
        let (binary, authorized) = deployment
            .routes
            .get(*route)
            .ok_or_else(|| format!("the template has no route {route}"))?;
        add(binary, *times)?;
        if *authorized && let Some((authorizer, 0)) = &deployment.authorizer {
            add(authorizer, *times)?;
        }
    }
    for (consumer, times) in PEAK_RECORDS {
        add(consumer, *times)?;
    }
    Ok(calls)
}

/// Every ceiling of `deployment` at the peak's mix.
pub fn capacity(deployment: &Deployment) -> Result<Capacity> {
    let calls = calls(deployment)?;
    let mut ceilings = Vec::new();

    // The API: each route's throttle, the account's, and CloudFront's in front.
    let requests: f64 = PEAK_ROUTES.iter().map(|(_, times)| times).sum();
    for (route, times) in PEAK_ROUTES {
        if let Some(rate) = deployment.route_limit(route) {
            ceilings.push(Ceiling {
                component: format!("API throttle, `{route}`"),
                per_checkout: *times,
                limit: rate,
                unit: "requests/s",
                bound: Bound::Setting("`ShopApi` route throttling (ThrottlingRateLimit)".into()),
            });
        }
    }
    let origin: f64 = PEAK_ROUTES
        .iter()
        .filter(|(route, _)| !deployment.cached(route))
        .map(|(_, times)| times)
        .sum();
    ceilings.push(against(
        "API Gateway, the account".into(),
        origin,
        limits::API_ACCOUNT_RPS,
    ));
    ceilings.push(against(
        "CloudFront distribution".into(),
        requests,
        limits::CLOUDFRONT_RPS,
    ));

    // Lambda: environments busy at once.
    let busy = |function: &str, times: f64| -> f64 {
        work::of(function).map_or(0.0, |work| times * deployment.ms(work) / 1000.0)
    };
    let all: f64 = calls
        .iter()
        .map(|(function, times)| busy(function, *times))
        .sum();
    ceilings.push(against(
        "Lambda, the account's concurrency".into(),
        all,
        limits::LAMBDA_ACCOUNT_CONCURRENCY,
    ));
    for (function, times) in &calls {
        if let Some(reserved) = deployment.reserved.get(*function) {
            ceilings.push(Ceiling {
                component: format!("Lambda, `{function}`'s reserved concurrency"),
                per_checkout: busy(function, *times),
                limit: *reserved as f64,
                unit: "executions",
                bound: Bound::Setting("`ReservedConcurrency` parameter".into()),
            });
        }
    }

    queues(deployment, &calls, &mut ceilings)?;
    tables(deployment, &calls, &mut ceilings)?;
    relays(deployment, &calls, &mut ceilings)?;

    let emails: f64 = calls
        .iter()
        .filter_map(|(function, times)| Some(work::of(function)?.emails * times))
        .sum();
    ceilings.push(against(
        "SES, the account's sending rate".into(),
        emails,
        limits::SES_SANDBOX_RATE,
    ));

    ceilings.sort_by(|a, b| {
        a.checkouts()
            .total_cmp(&b.checkouts())
            .then(a.component.cmp(&b.component))
    });
    Ok(Capacity { ceilings })
}

/// Each queue's API rate by its mode, and its consumer's concurrency.
fn queues(
    deployment: &Deployment,
    calls: &BTreeMap<&'static str, f64>,
    ceilings: &mut Vec<Ceiling>,
) -> Result<()> {
    let mut sent: BTreeMap<&str, f64> = BTreeMap::new();
    for (function, times) in calls {
        for (queue, each) in work::of(function).map_or(&[][..], |work| work.sends) {
            *sent.entry(queue).or_default() += times * each;
        }
    }
    for (queue, messages) in sent {
        let mode = deployment
            .queues
            .get(queue)
            .ok_or_else(|| format!("the template has no queue {queue}"))?;
        let limit = match mode {
            QueueMode::Fifo => limits::FIFO_NORMAL_TPS,
            QueueMode::HighThroughputFifo => limits::FIFO_HIGH_THROUGHPUT_TPS,
            QueueMode::Standard => continue,
        };
        // One SendMessage, one ReceiveMessage share and one DeleteMessage a message: the
        // sends are the most calls of any one action.
        ceilings.push(against(
            format!("SQS `{queue}`, SendMessage"),
            messages,
            limit,
        ));
        if let Some(consumer) = deployment.consumers.get(queue) {
            let busy = work::of(&consumer.binary)
                .map_or(0.0, |work| messages * deployment.ms(work) / 1000.0);
            ceilings.push(match consumer.maximum_concurrency {
                Some(maximum) => Ceiling {
                    component: format!(
                        "`{}`'s trigger on `{queue}`, MaximumConcurrency",
                        consumer.binary
                    ),
                    per_checkout: busy,
                    limit: maximum as f64,
                    unit: "invocations",
                    bound: Bound::Setting(format!("`{queue}` trigger's ScalingConfig")),
                },
                None => Ceiling {
                    component: format!("`{}`'s trigger on `{queue}`", consumer.binary),
                    per_checkout: busy,
                    limit: limits::SQS_TRIGGER_CONCURRENCY.value,
                    unit: limits::SQS_TRIGGER_CONCURRENCY.unit,
                    bound: Bound::Quota(limits::SQS_TRIGGER_CONCURRENCY),
                },
            });
        }
    }
    Ok(())
}

/// Each table's and index's units against the per-table quota, and each hot key's against a
/// partition's.
fn tables(
    deployment: &Deployment,
    calls: &BTreeMap<&'static str, f64>,
    ceilings: &mut Vec<Ceiling>,
) -> Result<()> {
    // (table, index, writes?) -> units; (table, index, key, writes?) -> units on one partition.
    let mut totals: BTreeMap<(&str, Option<&str>, bool), f64> = BTreeMap::new();
    let mut hot: BTreeMap<(&str, Option<&str>, String, bool), f64> = BTreeMap::new();
    for (function, times) in calls {
        for touch in work::of(function).map_or(&[][..], |work| work.touches) {
            if let Some(index) = touch.index
                && !deployment
                    .index_keys
                    .contains_key(&(touch.table.to_owned(), index.to_owned()))
            {
                return Err(format!(
                    "{function}: the template has no index {}.{index}",
                    touch.table
                )
                .into());
            }
            let units = touch.units() * times;
            let writes = touch.writes();
            *totals
                .entry((touch.table, touch.index, writes))
                .or_default() += units;
            let partition = match touch.key {
                Key::Spread => None,
                Key::One(value) => Some((value.to_owned(), units)),
                Key::Sharded(value, shards) => Some((
                    format!("{value} (1 of {shards})"),
                    units / f64::from(shards),
                )),
                Key::Hottest(value) => Some((
                    format!("{value} (the best-seller's)"),
                    units * work::HOTTEST_SHARE,
                )),
            };
            if let Some((value, units)) = partition {
                *hot.entry((touch.table, touch.index, value, writes))
                    .or_default() += units;
            }
        }
    }
    let name = |table: &str, index: Option<&str>| match index {
        Some(index) => format!("`{table}` index `{index}`"),
        None => format!("`{table}`"),
    };
    let limit = |writes: bool, table_wide: bool| match (writes, table_wide) {
        (true, true) => (limits::DYNAMODB_TABLE_WRU, "writes"),
        (false, true) => (limits::DYNAMODB_TABLE_RRU, "reads"),
        (true, false) => (limits::DYNAMODB_PARTITION_WCU, "writes"),
        (false, false) => (limits::DYNAMODB_PARTITION_RCU, "reads"),
    };
    for ((table, index, writes), units) in totals {
        let (limit, what) = limit(writes, true);
        let component = format!("DynamoDB {}, {what}", name(table, index));
        ceilings.push(against(component, units, limit));
    }
    for ((table, index, value, writes), units) in hot {
        let (limit, what) = limit(writes, false);
        let component = format!("DynamoDB {}, {what} of key `{value}`", name(table, index));
        ceilings.push(against(component, units, limit));
    }
    Ok(())
}

/// Each stream trigger against the records its table's hottest shard sends it.
///
/// A table has a stream shard per partition, and at least as many partitions as its writes
/// need (1,000 a second each; a new on-demand table starts with room for 4,000). A relay reads
/// a shard `ParallelizationFactor` batches at a time, a batch's records one after another, so a
/// shard carries `parallelization x 1000 / ms a record` records a second. At the target the
/// table has `writes a checkout x target / 1000` shards; the ceiling is the checkouts a second
/// those shards relay.
fn relays(
    deployment: &Deployment,
    calls: &BTreeMap<&'static str, f64>,
    ceilings: &mut Vec<Ceiling>,
) -> Result<()> {
    for relay in &deployment.relays {
        let Some(records) = calls.get(relay.binary.as_str()) else {
            continue;
        };
        let work = work::of(&relay.binary)
            .ok_or_else(|| format!("no work declared for {}", relay.binary))?;
        let writes: f64 = calls
            .iter()
            .flat_map(|(function, times)| {
                work::of(function)
                    .map_or(&[][..], |work| work.touches)
                    .iter()
                    .filter(|touch| {
                        touch.table == relay.table && touch.index.is_none() && touch.writes()
                    })
                    .map(move |touch| touch.items * times)
            })
            .sum();
        let shards = (writes * work::TARGET / limits::DYNAMODB_PARTITION_WCU.value)
            .max(limits::DYNAMODB_NEW_TABLE_WRITES.value / limits::DYNAMODB_PARTITION_WCU.value);
        let per_shard = relay.parallelization as f64 * 1000.0 / deployment.ms(work);
        ceilings.push(Ceiling {
            component: format!(
                "`{}` on `{}`'s stream ({shards:.0} shards at the target, {} at a time each)",
                relay.binary,
                relay.table,
                match relay.parallelization {
                    1 => "one batch".to_owned(),
                    n => format!("{n} batches"),
                }
            ),
            per_checkout: *records,
            limit: per_shard * shards,
            unit: "records/s",
            bound: Bound::Setting(format!(
                "`{}` trigger's ParallelizationFactor",
                relay.binary
            )),
        });
    }
    Ok(())
}
