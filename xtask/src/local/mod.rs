//! The whole shop on one machine, exactly as `template.yaml` declares it.
//!
//! - [`runtime`]: a Lambda Runtime API of our own; every function is its real binary, in its own
//!   processes, fetching invocations as on AWS.
//! - [`gateway`]: the HTTP API: the template's routes, its Lambda authorizer first, payload 2.0
//!   events; and the storefront from `web/`.
//! - [`invoke`]: the Lambda Invoke API, for functions that invoke others and for
//!   `cargo lambda invoke`.
//! - [`names`]: what the template's references mean locally.
//! - every AWS call a function makes goes through the IAM gate ([`crate::iam`]), which allows
//!   only what the function's policy in the template allows.
//! - [`triggers`]: the SQS and DynamoDB stream event source mappings, delivering to the
//!   functions as Lambda does.
//! - [`observer`]: what the operator page (`/_local/`) shows: requests, invocations, the
//!   functions' lines and metrics, and each order's journey through them.
//!
//! Tables, queues and buckets are created from the template ([`crate::provision`]).

mod console;
pub mod gateway;
pub mod invoke;
pub mod names;
pub mod observer;
pub mod runtime;
mod triggers;

use std::collections::BTreeMap;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::Result;
use crate::deliver::Redelivery;
use crate::template::Template;
pub use console::{Captured, Console};
use names::LocalNames;
use runtime::{FunctionSpec, Pool};

/// Where each function's executable is.
#[derive(Debug, Clone)]
pub enum Binaries {
    /// Cargo's output folder (`target/debug`): `<folder>/<binary>`.
    Cargo(PathBuf),
    /// cargo-lambda's layout: `<folder>/<binary>/bootstrap`.
    Lambda(PathBuf),
}

impl Binaries {
    pub fn executable(&self, binary: &str) -> PathBuf {
        match self {
            Self::Cargo(folder) => folder.join(binary),
            Self::Lambda(folder) => folder.join(binary).join("bootstrap"),
        }
    }
}

/// How to start the local shop.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Prefix for the tables', queues' and buckets' names ("" for the local shop's own).
    pub prefix: String,
    pub http: SocketAddr,
    pub invoke: SocketAddr,
    /// Where the function binaries are.
    pub binaries: Binaries,
    /// The storefront's files.
    pub web: PathBuf,
    /// The value of the template's `TokenSecret` here.
    pub token_secret: String,
    /// Other secrets given values (by logical id), which otherwise get random ones: the local
    /// shop keeps its pseudonym key across runs, as it keeps its tables.
    pub secrets: BTreeMap<String, String>,
    /// Parameters given values other than their defaults (a test's erasure delay of 0, say).
    pub parameters: BTreeMap<String, String>,
    /// What the IAM gate's records are filed under: a test's name, or "local shop".
    pub context: String,
    /// Extra environment for every function, after the template's: a log level, or another
    /// DynamoDB endpoint (`AWS_ENDPOINT_URL_DYNAMODB`, which the shop then creates its tables on).
    pub environment: Vec<(String, String)>,
    /// When messages a consumer failed come back: after the queue's visibility timeout, as on
    /// AWS, or at once (tests).
    pub redelivery: Redelivery,
    /// Batches each queue trigger may have in flight at once ([`BATCHES_AT_ONCE`], or 1 for a
    /// test that needs a fault to hit a single invocation).
    pub batches_at_once: usize,
    pub console: Console,
}

/// A running local shop. Dropping it does not stop the processes: call [`LocalShop::stop`].
#[derive(Debug)]
pub struct LocalShop {
    /// The shop's origin: storefront and API.
    pub http: SocketAddr,
    /// The Lambda Invoke API.
    pub invoke: SocketAddr,
    pub names: LocalNames,
    pools: BTreeMap<String, Arc<Pool>>,
    /// Per consumer function, its triggers' switch.
    switches: BTreeMap<String, triggers::Switch>,
    tasks: Vec<JoinHandle<()>>,
    observer: Arc<observer::Observer>,
    gate: crate::iam::Gate,
}

impl LocalShop {
    /// Creates the template's resources, starts its functions' runtimes, the HTTP API, the
    /// Invoke API and the queue pollers.
    pub async fn start(config: LocalConfig) -> Result<Self> {
        let template = Template::workspace()?;
        let sdk = shared::aws::sdk_config().await;
        let mut operator = crate::provision::Operator::new(&sdk);
        // The endpoints the configuration names are where the gate sends each service's calls;
        // the functions themselves only ever see the gate.
        let upstreams = crate::iam::proxy::upstreams_from_env(&config.environment);
        if let Some(endpoint) = config
            .environment
            .iter()
            .find(|(name, _)| name == "AWS_ENDPOINT_URL_DYNAMODB")
            .map(|(_, endpoint)| endpoint)
        {
            operator.dynamodb = aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&sdk)
                    .endpoint_url(endpoint)
                    .build(),
            );
        }
        let overrides = crate::provision::Overrides {
            secrets: config
                .secrets
                .clone()
                .into_iter()
                .chain([("TokenSecret".to_owned(), config.token_secret.clone())])
                .collect(),
            parameters: config.parameters.clone(),
        };
        let mut names =
            crate::provision::stack(&operator, &template, &config.prefix, &overrides).await?;
        let functions = template.functions()?;
        for function in &functions {
            names.add_function(&function.logical_id, &function.binary);
        }
        // Bound first: what the template's distributions serve is served here, and functions
        // link to it (`!GetAtt <distribution>.DomainName`).
        let http_listener = TcpListener::bind(config.http).await?;
        let http_address = http_listener.local_addr()?;
        let mut domain = http_address;
        if domain.ip().is_unspecified() {
            domain.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        for distribution in template.distributions() {
            names.add_distribution(&distribution, &domain.to_string());
        }
        let queues: BTreeMap<String, String> = template
            .queues()?
            .into_iter()
            .filter_map(|queue| {
                let url = names.refs.get(&queue.logical_id)?.clone();
                Some((queue.logical_id, url))
            })
            .collect();
        let sqs = operator.sqs.clone();

        let gate = crate::iam::Gate::new(&template, &names, &config.context)?;
        let gate_listener = TcpListener::bind((config.http.ip(), 0)).await?;
        let gate_address = gate_listener.local_addr()?;
        let mut tasks = vec![tokio::spawn(crate::iam::proxy::serve(
            gate_listener,
            gate.clone(),
            upstreams,
        ))];
        let function_environment: Vec<(String, String)> = config
            .environment
            .iter()
            .filter(|(name, _)| !name.starts_with("AWS_ENDPOINT_URL"))
            .cloned()
            .chain(crate::iam::proxy::endpoint_environment(gate_address))
            .collect();

        let invoke_listener = TcpListener::bind(config.invoke).await?;
        let invoke_address = invoke_listener.local_addr()?;
        let console = config.console.clone();
        let mut pools = BTreeMap::new();
        let mut by_logical_id = BTreeMap::new();
        for function in &functions {
            let mut spec = function_spec(function, &names, &config.binaries, invoke_address)?;
            spec.environment
                .extend(function_environment.iter().cloned());
            let pool = Pool::start(spec, console.clone()).await?;
            by_logical_id.insert(function.logical_id.clone(), Arc::clone(&pool));
            pools.insert(function.binary.clone(), pool);
        }

        let mut invocable = pools.clone();
        invocable.extend(by_logical_id.clone());
        let invocable = Arc::new(invoke::Functions {
            pools: invocable,
            gate: gate.clone(),
            names: names.clone(),
        });
        // `cargo lambda invoke` calls [::1] by default: answer there too when we can.
        if invoke_address.ip().is_loopback() {
            let ipv6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, invoke_address.port()));
            match TcpListener::bind(ipv6).await {
                Ok(listener) => {
                    tasks.push(tokio::spawn(invoke::serve(
                        listener,
                        Arc::clone(&invocable),
                    )));
                }
                Err(err) => console.function_line("invoke", &format!("not on {ipv6}: {err}")),
            }
        }
        tasks.push(tokio::spawn(invoke::serve(invoke_listener, invocable)));

        let authorizers: BTreeMap<String, Arc<Pool>> = template
            .authorizers()?
            .into_iter()
            .filter_map(|authorizer| {
                let pool = by_logical_id.get(&authorizer.function)?;
                Some((authorizer.name, Arc::clone(pool)))
            })
            .collect();
        let routes = template
            .routes()?
            .into_iter()
            .map(|route| {
                let function = by_logical_id
                    .get(&route.function)
                    .cloned()
                    .ok_or_else(|| format!("no function {}", route.function))?;
                let authorizer = match &route.authorizer {
                    None => None,
                    Some(name) => Some(
                        authorizers
                            .get(name)
                            .cloned()
                            .ok_or_else(|| format!("no authorizer {name}"))?,
                    ),
                };
                Ok((route, function, authorizer))
            })
            .collect::<Result<Vec<_>>>()?;
        let gateway = Arc::new(gateway::Gateway::new(
            routes,
            config.web.clone(),
            console.clone(),
            template.security_headers()?,
        )?);
        tasks.push(tokio::spawn(gateway.serve(http_listener)));

        let mut switches = BTreeMap::new();
        for function in &functions {
            let switch = triggers::Switch::default();
            if !function.queue_triggers.is_empty() || !function.stream_triggers.is_empty() {
                switches.insert(function.binary.clone(), switch.clone());
            }
            // The event source mapping polls with the function's role.
            let role = crate::iam::FunctionClients::new(&sdk, &function.logical_id, gate_address);
            for trigger in &function.queue_triggers {
                let url = queues
                    .get(&trigger.queue)
                    .cloned()
                    .ok_or_else(|| format!("no queue {}", trigger.queue))?;
                // Creating a mapping reads the queue's attributes with the role, as Lambda does.
                role.sqs
                    .get_queue_attributes()
                    .queue_url(&url)
                    .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
                    .send()
                    .await
                    .map_err(|err| {
                        format!(
                            "{}: its SQS trigger cannot read {}: {}",
                            function.logical_id,
                            trigger.queue,
                            aws_sdk_sqs::error::DisplayErrorContext(err)
                        )
                    })?;
                let batch_size = i32::try_from(trigger.batch_size).unwrap_or(10);
                for _ in 0..config.batches_at_once.max(1) {
                    tasks.push(tokio::spawn(triggers::poll(
                        triggers::Trigger {
                            role: role.sqs.clone(),
                            operator: sqs.clone(),
                            queue: trigger.queue.clone(),
                            url: url.clone(),
                            batch_size,
                            redelivery: config.redelivery,
                            switch: switch.clone(),
                        },
                        Arc::clone(&pools[&function.binary]),
                        console.clone(),
                    )));
                }
            }
        }

        // DynamoDB stream event source mappings: a poller per trigger, reading the table's
        // stream from DynamoDB Local itself (as Lambda's pollers read the stream, outside the
        // function's role).
        let dynamodb_endpoint = config
            .environment
            .iter()
            .find(|(name, _)| name == "AWS_ENDPOINT_URL_DYNAMODB")
            .map(|(_, endpoint)| endpoint.clone())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok());
        for function in &functions {
            for trigger in &function.stream_triggers {
                let endpoint = dynamodb_endpoint
                    .clone()
                    .ok_or("a stream trigger needs AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local)")?;
                let table = names
                    .refs
                    .get(&trigger.table)
                    .ok_or_else(|| format!("no table {}", trigger.table))?;
                let stream_arn = operator
                    .dynamodb
                    .describe_table()
                    .table_name(table)
                    .send()
                    .await
                    .map_err(|err| {
                        format!(
                            "describing {table}: {}",
                            aws_sdk_dynamodb::error::DisplayErrorContext(err)
                        )
                    })?
                    .table
                    .and_then(|table| table.latest_stream_arn)
                    .ok_or_else(|| format!("{} has no stream", trigger.table))?;
                let on_failure = trigger
                    .on_failure
                    .as_ref()
                    .and_then(|queue| queues.get(queue).cloned());
                let role =
                    crate::iam::FunctionClients::new(&sdk, &function.logical_id, gate_address);
                tasks.push(tokio::spawn(triggers::poll_stream(
                    triggers::StreamPoller {
                        api: crate::streams::StreamsApi::at(&endpoint)?,
                        stream_arn,
                        trigger: trigger.clone(),
                        on_failure,
                        role: role.sqs,
                        switch: switches[&function.binary].clone(),
                    },
                    Arc::clone(&pools[&function.binary]),
                    console.clone(),
                )));
            }
        }

        Ok(Self {
            http: http_address,
            invoke: invoke_address,
            names,
            pools,
            switches,
            tasks,
            observer: Arc::clone(&console.observer),
            gate,
        })
    }

    /// The running function `binary` (to inject faults into it).
    ///
    /// # Panics
    /// If the template declares no such function.
    pub fn pool(&self, binary: &str) -> Arc<Pool> {
        Arc::clone(&self.pools[binary])
    }

    /// Every call the functions have made to AWS (through the IAM gate), counted.
    pub fn calls(&self) -> crate::iam::calls::Counts {
        self.gate.calls()
    }

    /// How many invocations each function has been given, by binary.
    pub fn invocations(&self) -> BTreeMap<String, usize> {
        self.pools
            .iter()
            .map(|(binary, pool)| (binary.clone(), pool.invocations()))
            .collect()
    }

    /// How many messages or stream records each consumer's triggers have handed it, by binary.
    pub fn records(&self) -> BTreeMap<String, usize> {
        self.switches
            .keys()
            .map(|binary| (binary.clone(), self.pools[binary].records()))
            .collect()
    }

    /// How many invocations each function has finished, by binary.
    pub fn timed(&self) -> BTreeMap<String, usize> {
        self.pools
            .iter()
            .map(|(binary, pool)| (binary.clone(), pool.timed()))
            .collect()
    }

    /// The wait and the run of each invocation each function finished after the first of
    /// `counts` (as [`LocalShop::timed`] counted them), by binary.
    pub fn timings_since(
        &self,
        counts: &BTreeMap<String, usize>,
    ) -> BTreeMap<String, Vec<runtime::Timing>> {
        self.pools
            .iter()
            .map(|(binary, pool)| {
                let since = counts.get(binary).copied().unwrap_or(0);
                (binary.clone(), pool.timings_since(since))
            })
            .collect()
    }

    /// The calls the functions have made to each dependency (`DynamoDB`, `SQS`, ...) as their
    /// `DependencyLatency` metric tells them: how many, and their milliseconds in all.
    pub fn dependency_calls(&self) -> BTreeMap<String, (u64, f64)> {
        self.observer
            .metric_totals()
            .into_iter()
            .filter(|metric| metric.name == "DependencyLatency")
            .map(|metric| {
                let dependency = metric.dimensions.trim_start_matches("Dependency=");
                (dependency.to_owned(), (metric.count, metric.sum))
            })
            .collect()
    }

    /// Whether no function is running or waiting to run an invocation.
    pub fn idle(&self) -> bool {
        self.pools.values().all(|pool| pool.idle())
    }

    /// Whether `binary` is invoked by a queue or stream trigger.
    pub fn is_consumer(&self, binary: &str) -> bool {
        self.switches.contains_key(binary)
    }

    /// Stops delivering messages to the consumer `binary`, as disabling its event source mapping
    /// does: they wait on the queue. Returns once no batch is being received or delivered.
    pub async fn pause_trigger(&self, binary: &str) {
        if let Some(switch) = self.switches.get(binary) {
            switch.pause().await;
        }
    }

    /// Delivers to the consumer `binary` again.
    pub fn resume_trigger(&self, binary: &str) {
        if let Some(switch) = self.switches.get(binary) {
            switch.resume();
        }
    }

    /// Pauses every queue and stream trigger (the benchmarks measure functions with nothing
    /// polling beside them).
    pub async fn pause_all_triggers(&self) {
        // All switched off first, so that their passes end together.
        for switch in self.switches.values() {
            switch.switch_off();
        }
        for switch in self.switches.values() {
            switch.settled().await;
        }
    }

    /// Stops the servers and pollers and every function process.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for pool in self.pools.values() {
            pool.stop().await;
        }
    }
}

/// How the local shop runs `function`: its executable, and its environment resolved from the
/// template, pointed at the local Invoke API.
pub fn function_spec(
    function: &crate::template::Function,
    names: &LocalNames,
    binaries: &Binaries,
    invoke: SocketAddr,
) -> Result<FunctionSpec> {
    let mut environment = names.environment(function)?;
    environment.extend(crate::iam::credentials_environment(&function.logical_id));
    environment.push(("AWS_ENDPOINT_URL_LAMBDA".into(), format!("http://{invoke}")));
    environment.push(("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()));
    Ok(FunctionSpec {
        name: function.binary.clone(),
        executable: binaries.executable(&function.binary),
        environment,
        memory_mb: function.memory_size.unwrap_or(128),
        timeout: Duration::from_secs(function.timeout.unwrap_or(3)),
    })
}

/// Batches each queue trigger delivers at once, in the local shop and the benchmarks. Lambda
/// scales its pollers up with the backlog (on a FIFO queue, as far as there are message groups
/// to spread); one batch at a time fell behind the soak's checkouts. SQS, moto included, never
/// hands out two messages of one FIFO group at once, so order within a group holds.
pub const BATCHES_AT_ONCE: usize = 3;
