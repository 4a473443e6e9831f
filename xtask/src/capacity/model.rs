//! From the peak's work and the deployment's settings to the checkouts a second each part of
//! the stack carries: one [`Ceiling`] per limit on the path.

use std::collections::BTreeMap;

use super::deployment::{Deployment, QueueMode};
use super::limits::{self, Limit};
use super::work::{self, Key, PEAK_ASSETS, PEAK_RECORDS, PEAK_ROUTES};
use crate::Result;

/// What bounds a ceiling.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    /// A limit AWS does not raise: the design must live within it.
    Fixed(Limit),
    /// A quota AWS raises on request: a peak asks for what it needs.
    Quota(Limit),
    /// A setting of the template (where it is set).
    Setting(String),
}

/// One limit, the demand a checkout a second puts on it, and the checkouts a second it allows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ceiling {
    pub(crate) component: String,
    /// Of the limit's unit, for each checkout a second.
    pub(crate) per_checkout: f64,
    pub(crate) limit: f64,
    pub(crate) unit: &'static str,
    pub(crate) bound: Bound,
    /// Checkouts a second at which the limit is reached.
    pub(crate) checkouts: f64,
}

impl Ceiling {
    /// The ceiling where the demand grows with the checkouts: `limit / per_checkout`.
    fn linear(
        component: String,
        per_checkout: f64,
        limit: f64,
        unit: &'static str,
        bound: Bound,
    ) -> Self {
        let checkouts = if per_checkout > 0.0 {
            limit / per_checkout
        } else {
            f64::INFINITY
        };
        Self {
            component,
            per_checkout,
            limit,
            unit,
            bound,
            checkouts,
        }
    }

    /// Whether raising an AWS quota lifts it.
    pub(crate) fn adjustable(&self) -> bool {
        matches!(self.bound, Bound::Quota(_))
    }
}

/// The ceiling a documented `limit` puts on a demand of `per_checkout` of its unit.
fn against(component: String, per_checkout: f64, limit: Limit) -> Ceiling {
    let bound = if limit.adjustable {
        Bound::Quota(limit)
    } else {
        Bound::Fixed(limit)
    };
    Ceiling::linear(component, per_checkout, limit.value, limit.unit, bound)
}

/// Every ceiling, lowest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Capacity {
    pub(crate) ceilings: Vec<Ceiling>,
}

impl Capacity {
    /// The lowest ceiling no quota request lifts: the shop's, and its first bottleneck.
    pub(crate) fn first_bottleneck(&self) -> Option<&Ceiling> {
        self.ceilings.iter().find(|ceiling| !ceiling.adjustable())
    }
}

/// The share of `route`'s requests (`times` for each checkout a second) that reach the API at
/// the target: all, unless CloudFront keeps its answers; then each regional edge cache asks for
/// each of the route's addresses once every [`Deployment::edge_seconds`] at most. The share is
/// the target's: above the target the demand it gives grows where CloudFront's asking does not
/// (so a ceiling found above the target errs low); below it, less than the route's own (so a
/// ceiling found below the target errs high, but is still below it, and reported).
pub(crate) fn reaching_api(deployment: &Deployment, route: &str, times: f64) -> Result<f64> {
    let seconds = deployment.edge_seconds(route);
    if seconds <= 0.0 {
        return Ok(1.0);
    }
    let (_, addresses) = work::DISTINCT_URLS
        .iter()
        .find(|(cached, _)| *cached == route)
        .ok_or_else(|| {
            format!(
                "CloudFront keeps {route}: work::DISTINCT_URLS must say how many addresses it has"
            )
        })?;
    let asked = addresses * limits::CLOUDFRONT_REGIONAL_EDGE_CACHES.value / seconds;
    Ok((asked / (times * work::TARGET)).min(1.0))
}

/// Calls a second of each function for one checkout a second: the routes' (those that reach
/// the API), the authorizer's, the consumers', and what they invoke.
pub(crate) fn calls(deployment: &Deployment) -> Result<BTreeMap<&'static str, f64>> {
    let mut calls: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut add = |function: &str, times: f64| -> Result<()> {
        let work = declared(function)?;
        *calls.entry(work.function).or_default() += times;
        for (callee, each) in work.invokes {
            *calls.entry(declared(callee)?.function).or_default() += times * each;
        }
        Ok(())
    };
    for (route, times) in PEAK_ROUTES {
        let (binary, authorized) = deployment
            .routes
            .get(*route)
            .ok_or_else(|| format!("the template has no route {route}"))?;
        let times = &(times * reaching_api(deployment, route, *times)?);
        add(binary, *times)?;
        match &deployment.authorizer {
            Some((authorizer, 0)) if *authorized => add(authorizer, *times)?,
            // A cached verdict would need the share of requests that miss the cache, which
            // depends on how long customers stay: the model does not guess it.
            Some((_, seconds)) if *authorized => {
                return Err(format!(
                    "the authorizer caches verdicts for {seconds} s; the model counts it before every request"
                )
                .into());
            }
            _ => {}
        }
    }
    for (consumer, times) in PEAK_RECORDS {
        add(consumer, *times)?;
    }
    Ok(calls)
}

fn declared(function: &str) -> Result<&'static work::Work> {
    work::of(function).ok_or_else(|| format!("no work declared for {function}").into())
}

/// Execution environments `times` calls a second of `function` keep busy.
fn busy(deployment: &Deployment, function: &str, times: f64) -> f64 {
    work::of(function).map_or(0.0, |work| times * deployment.ms(work) / 1000.0)
}

/// Every ceiling of `deployment` at the peak's mix.
pub(crate) fn capacity(deployment: &Deployment) -> Result<Capacity> {
    let calls = calls(deployment)?;
    let mut ceilings = Vec::new();

    // The API: each route's throttle, the account's, and CloudFront's in front of it and the
    // storefront's files.
    let requests: f64 = PEAK_ROUTES.iter().map(|(_, times)| times).sum();
    let mut origin = 0.0;
    for (route, times) in PEAK_ROUTES {
        let reaching = times * reaching_api(deployment, route, *times)?;
        origin += reaching;
        if let Some(rate) = deployment.route_limit(route) {
            ceilings.push(Ceiling::linear(
                format!("API throttle, `{route}`"),
                reaching,
                rate,
                "requests/s",
                Bound::Setting("`ShopApi` route throttling (ThrottlingRateLimit)".into()),
            ));
        }
    }
    ceilings.push(against(
        "API Gateway, the account".into(),
        origin,
        limits::API_ACCOUNT_RPS,
    ));
    ceilings.push(against(
        "CloudFront distribution (the API and the storefront's files)".into(),
        requests + PEAK_ASSETS,
        limits::CLOUDFRONT_RPS,
    ));

    let all: f64 = calls
        .iter()
        .map(|(function, times)| busy(deployment, function, *times))
        .sum();
    ceilings.push(against(
        "Lambda, the account's concurrency".into(),
        all,
        limits::LAMBDA_ACCOUNT_CONCURRENCY,
    ));
    for (function, times) in &calls {
        if let Some(reserved) = deployment.reserved.get(*function) {
            ceilings.push(Ceiling::linear(
                format!("Lambda, `{function}`'s reserved concurrency"),
                busy(deployment, function, *times),
                *reserved,
                "executions",
                Bound::Setting("`ReservedConcurrency` parameter".into()),
            ));
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
        a.checkouts
            .total_cmp(&b.checkouts)
            .then(a.component.cmp(&b.component))
    });
    Ok(Capacity { ceilings })
}

/// Each queue's API rate by its mode, and its consumer's concurrency. A consumer is counted as
/// busy for each message on its own: its batches handle their messages' groups together, so
/// this errs high, by up to the batch's size.
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
        // One SendMessage, a share of a ReceiveMessage and one DeleteMessage a message: the
        // sends are the most calls of any one action.
        ceilings.push(against(
            format!("SQS `{queue}`, SendMessage"),
            messages,
            limit,
        ));
        if let Some(consumer) = deployment.consumers.get(queue) {
            let busy = busy(deployment, &consumer.binary, messages);
            ceilings.push(match consumer.maximum_concurrency {
                Some(maximum) => Ceiling::linear(
                    format!(
                        "`{}`'s trigger on `{queue}`, MaximumConcurrency",
                        consumer.binary
                    ),
                    busy,
                    maximum,
                    "invocations",
                    Bound::Setting(format!("`{queue}` trigger's ScalingConfig")),
                ),
                None => against(
                    format!("`{}`'s trigger on `{queue}`", consumer.binary),
                    busy,
                    limits::SQS_TRIGGER_CONCURRENCY,
                ),
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
                    touch.units() * hottest_calls(deployment, calls, function),
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

/// Calls a second of `function`, for one checkout a second, that land on the best-seller's
/// key: [`work::HOTTEST_SHARE`] of them, but of those made by a caller that remembers what it
/// was told ([`work::Work::remembers`]), at most one for each of the caller's busy execution
/// environments each time its memory runs out.
pub(crate) fn hottest_calls(
    deployment: &Deployment,
    calls: &BTreeMap<&'static str, f64>,
    function: &str,
) -> f64 {
    let mut remembered = 0.0;
    let mut hottest = 0.0;
    for (caller, times) in calls {
        let Some(work) = work::of(caller).filter(|work| work.remembers > 0.0) else {
            continue;
        };
        for (_, each) in work
            .invokes
            .iter()
            .filter(|(callee, _)| *callee == function)
        {
            let made = times * each;
            remembered += made;
            let environments = busy(deployment, caller, *times);
            hottest += (made * work::HOTTEST_SHARE).min(environments / work.remembers);
        }
    }
    let all = calls.get(function).copied().unwrap_or_default();
    (all - remembered) * work::HOTTEST_SHARE + hottest
}

/// Each stream trigger against the records its table's shards bring it.
///
/// A table has a stream shard per partition, and as many partitions as its writes need (1,000
/// write units a second each), but never fewer than a new on-demand table starts with (room for
/// 4,000 writes a second). A relay reads a shard `ParallelizationFactor` batches at a time, a
/// batch's records one after another, so a shard carries `parallelization x 1000 / ms a record`
/// records a second. Once the table's writes fill its partitions, a shard brings its share of
/// the relay's records whatever the load: if the relay keeps up with that, it keeps up at any
/// load; if not, it falls behind once the new table's partitions fill, or sooner.
fn relays(
    deployment: &Deployment,
    calls: &BTreeMap<&'static str, f64>,
    ceilings: &mut Vec<Ceiling>,
) -> Result<()> {
    for relay in &deployment.relays {
        let Some(records) = calls.get(relay.binary.as_str()).copied() else {
            continue;
        };
        let work = declared(&relay.binary)?;
        let units: f64 = calls
            .iter()
            .flat_map(|(function, times)| {
                work::of(function)
                    .map_or(&[][..], |work| work.touches)
                    .iter()
                    .filter(|touch| {
                        touch.table == relay.table && touch.index.is_none() && touch.writes()
                    })
                    .map(move |touch| touch.units() * times)
            })
            .sum();
        let per_shard = relay.parallelization as f64 * 1000.0 / deployment.ms(work);
        let full_shard = records * limits::DYNAMODB_PARTITION_WCU.value / units;
        let new_shards =
            limits::DYNAMODB_NEW_TABLE_WRITES.value / limits::DYNAMODB_PARTITION_WCU.value;
        let checkouts = if per_shard >= full_shard {
            f64::INFINITY
        } else {
            (new_shards * per_shard / records).min(limits::DYNAMODB_NEW_TABLE_WRITES.value / units)
        };
        let batches = match relay.parallelization {
            1 => "one batch".to_owned(),
            n => format!("{n} batches"),
        };
        ceilings.push(Ceiling {
            component: format!(
                "`{}` on `{}`'s stream (a shard relays {} records/s, {batches} at a time; a full partition's brings {})",
                relay.binary,
                relay.table,
                super::figure(per_shard),
                super::figure(full_shard),
            ),
            per_checkout: records,
            limit: per_shard,
            unit: "records/s a shard",
            bound: Bound::Setting(format!(
                "`{}` trigger's ParallelizationFactor",
                relay.binary
            )),
            checkouts,
        });
    }
    Ok(())
}
