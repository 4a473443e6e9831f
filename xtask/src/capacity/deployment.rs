//! What the model reads from `template.yaml`, for given parameter values: every setting that
//! caps a rate, so that changing one in the template changes the model's answer.

use std::collections::BTreeMap;

use serde_json::Value;

use super::work::{self, Work};
use crate::Result;
use crate::bench::cost::MB_PER_VCPU;
use crate::template::{Parameters, Template};

/// A managed CloudFront cache policy that caches nothing.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// The settings of one deployment of the template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Deployment {
    /// The stage's `DefaultRouteSettings.ThrottlingRateLimit`: each route's own steady rate.
    pub(crate) route_rate: Option<f64>,
    /// `RouteSettings` overrides, by route key.
    pub(crate) route_rates: BTreeMap<String, f64>,
    /// Route key to the binary that serves it, and whether the authorizer runs first.
    pub(crate) routes: BTreeMap<String, (String, bool)>,
    /// The authorizer's binary, and how long it may cache a verdict (0: never).
    pub(crate) authorizer: Option<(String, u64)>,
    /// Binary to `ReservedConcurrentExecutions`, when it is set.
    pub(crate) reserved: BTreeMap<String, f64>,
    /// Binary to `MemorySize` in MB, which buys its share of a vCPU.
    pub(crate) memory: BTreeMap<String, u64>,
    /// Queue logical id to its mode.
    pub(crate) queues: BTreeMap<String, QueueMode>,
    /// Queue logical id to the function consuming it.
    pub(crate) consumers: BTreeMap<String, Consumer>,
    /// Stream triggers.
    pub(crate) relays: Vec<Relay>,
    /// (table, index) to the index's partition key attribute.
    pub(crate) index_keys: BTreeMap<(String, String), String>,
    /// CloudFront path patterns, in the order CloudFront tries them, with the longest their
    /// cache policy lets CloudFront keep an answer (`MaxTTL`; 0 for CachingDisabled).
    pub(crate) behaviours: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueMode {
    Standard,
    /// FIFO with `DeduplicationScope: messageGroup` and `FifoThroughputLimit: perMessageGroupId`.
    HighThroughputFifo,
    Fifo,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Consumer {
    pub(crate) binary: String,
    /// `ScalingConfig.MaximumConcurrency`, when set.
    pub(crate) maximum_concurrency: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relay {
    pub(crate) binary: String,
    pub(crate) table: String,
    pub(crate) parallelization: u64,
}

impl Deployment {
    /// The template as deployed with `parameters`.
    pub(crate) fn of(template: &Template, parameters: &Parameters) -> Result<Self> {
        // A setting left out is `None`; one that is there must be a number, or a ceiling would
        // silently go missing.
        let number = |value: &Value| -> Result<Option<f64>> {
            match template.evaluate(value, parameters)? {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| format!("{value} is not a number").into()),
            }
        };
        let functions = template.functions()?;
        let binary_of: BTreeMap<&str, &str> = functions
            .iter()
            .map(|f| (f.logical_id.as_str(), f.binary.as_str()))
            .collect();
        let mut deployment = Self {
            route_rate: None,
            route_rates: BTreeMap::new(),
            routes: BTreeMap::new(),
            authorizer: None,
            reserved: BTreeMap::new(),
            memory: BTreeMap::new(),
            queues: BTreeMap::new(),
            consumers: BTreeMap::new(),
            relays: Vec::new(),
            index_keys: BTreeMap::new(),
            behaviours: Vec::new(),
        };
        for function in &functions {
            deployment
                .memory
                .insert(function.binary.clone(), function.memory_size.unwrap_or(128));
            if let Some(reserved) = number(&function.reserved_concurrency)? {
                deployment
                    .reserved
                    .insert(function.binary.clone(), reserved);
            }
            for route in &function.routes {
                deployment.routes.insert(
                    route.key(),
                    (function.binary.clone(), route.authorizer.is_some()),
                );
            }
            for trigger in &function.queue_triggers {
                deployment.consumers.insert(
                    trigger.queue.clone(),
                    Consumer {
                        binary: function.binary.clone(),
                        maximum_concurrency: number(&trigger.maximum_concurrency)?,
                    },
                );
            }
            for trigger in &function.stream_triggers {
                deployment.relays.push(Relay {
                    binary: function.binary.clone(),
                    table: trigger.table.clone(),
                    parallelization: trigger.parallelization,
                });
            }
        }
        if let Some(authorizer) = template.authorizers()?.first() {
            let binary = binary_of
                .get(authorizer.function.as_str())
                .ok_or_else(|| format!("no function {}", authorizer.function))?;
            deployment.authorizer = Some(((*binary).to_owned(), authorizer.cache_seconds));
        }
        for queue in template.queues()? {
            let mode = match (
                queue.fifo,
                queue.deduplication_scope,
                queue.throughput_limit,
            ) {
                (false, _, _) => QueueMode::Standard,
                (true, Some(scope), Some(limit))
                    if scope == "messageGroup" && limit == "perMessageGroupId" =>
                {
                    QueueMode::HighThroughputFifo
                }
                (true, _, _) => QueueMode::Fifo,
            };
            deployment.queues.insert(queue.logical_id, mode);
        }
        for table in template.tables()? {
            for index in &table.definition.global_secondary_indexes {
                let key = index
                    .key_schema
                    .iter()
                    .find(|element| element.key_type == "HASH")
                    .ok_or_else(|| {
                        format!(
                            "{}: index {} has no HASH key",
                            table.logical_id, index.index_name
                        )
                    })?;
                deployment.index_keys.insert(
                    (table.logical_id.clone(), index.index_name.clone()),
                    key.attribute_name.clone(),
                );
            }
        }
        for resource in template.resources().values() {
            let properties = &resource.properties;
            if resource.kind == "AWS::Serverless::HttpApi" {
                deployment.route_rate =
                    number(&properties["DefaultRouteSettings"]["ThrottlingRateLimit"])?;
                if let Some(routes) = properties["RouteSettings"].as_object() {
                    for (key, settings) in routes {
                        if let Some(rate) = number(&settings["ThrottlingRateLimit"])? {
                            deployment.route_rates.insert(key.clone(), rate);
                        }
                    }
                }
            }
            if resource.kind == "AWS::CloudFront::Distribution" {
                let behaviours = properties["DistributionConfig"]["CacheBehaviors"].as_array();
                for behaviour in behaviours.into_iter().flatten() {
                    let path = behaviour["PathPattern"]
                        .as_str()
                        .ok_or("a cache behaviour has no PathPattern")?;
                    let policy = &behaviour["CachePolicyId"];
                    let keeps = match (policy.as_str(), policy["Ref"].as_str()) {
                        (Some(CACHING_DISABLED), _) => 0.0,
                        (_, Some(name)) => {
                            let config = &template
                                .resources()
                                .get(name)
                                .ok_or_else(|| format!("no cache policy {name}"))?
                                .properties["CachePolicyConfig"];
                            number(&config["MaxTTL"])?
                                .ok_or_else(|| format!("cache policy {name} has no MaxTTL"))?
                        }
                        _ => {
                            return Err(format!(
                                "{path}: a cache policy the model does not know: {policy}"
                            )
                            .into());
                        }
                    };
                    deployment.behaviours.push((path.to_owned(), keeps));
                }
            }
        }
        Ok(deployment)
    }

    /// How long a call of `work` holds its execution environment, in ms: its CPU stretched by
    /// the share of a vCPU its memory buys (a whole one at 1,769 MB), its round trips, and the
    /// slowest function it waits for.
    pub(crate) fn ms(&self, work: &Work) -> f64 {
        let memory = self.memory.get(work.function).copied().unwrap_or(128) as f64;
        let waited = work
            .invokes
            .iter()
            .filter_map(|(callee, _)| work::of(callee))
            .map(|callee| self.ms(callee))
            .fold(0.0, f64::max);
        work.cpu_ms * (MB_PER_VCPU / memory).max(1.0)
            + f64::from(work.round_trips) * work::ROUND_TRIP_MS
            + waited
    }

    /// The steady rate a route may take, if the stage or the route caps it.
    pub(crate) fn route_limit(&self, route: &str) -> Option<f64> {
        self.route_rates.get(route).copied().or(self.route_rate)
    }

    /// How long CloudFront keeps an answer to `route` (`GET /api/products`), in seconds: the
    /// function's own `s-maxage` ([`Work::edge_seconds`]), no longer than the cache policy of
    /// the first behaviour whose pattern the path matches allows; 0 for a route it does not
    /// keep (CloudFront keeps GET and HEAD only).
    pub(crate) fn edge_seconds(&self, route: &str) -> f64 {
        let Some(("GET", path)) = route.split_once(' ') else {
            return 0.0;
        };
        let Some((binary, _)) = self.routes.get(route) else {
            return 0.0;
        };
        let marked = work::of(binary).map_or(0.0, |work| work.edge_seconds);
        marked.min(self.keeps(path))
    }

    /// The longest CloudFront may keep an answer from `path` (`/api/products`): the `MaxTTL`
    /// of the first behaviour whose pattern matches it; 0 if none does (the storefront's
    /// files are the default behaviour's, not the API's).
    pub(crate) fn keeps(&self, path: &str) -> f64 {
        self.behaviours
            .iter()
            .find(|(pattern, _)| {
                pattern
                    .strip_suffix('*')
                    .map_or(pattern == path, |prefix| path.starts_with(prefix))
            })
            .map_or(0.0, |(_, keeps)| *keeps)
    }
}
