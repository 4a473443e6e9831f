//! The benchmarks: every function's cold start, warm latency, CPU time per call, memory and
//! package size, against a bare hello-world built the same way; and a shopping load through the
//! whole local shop. `scripts/bench` builds the binaries and calls `cargo xtask bench`, which
//! writes `BENCHMARKS.md`.
//!
//! Each function runs as its real release binary under our own Lambda Runtime API
//! ([`crate::local::runtime`]), one process at a time, with DynamoDB Local and moto behind it
//! and no queue or stream polled meanwhile:
//!
//! - init: from starting the process to its first request for work (what Lambda calls init),
//!   the median of several fresh starts, each just after one of the hello-world's, and the
//!   median of those pairs' ratios; and the CPU time it took;
//! - first call: the first invocation of a process that is ready, against warm calls of the
//!   same (first) sample event;
//! - warm p50 and p99 over the function's sample events from `events/`, cycled;
//! - CPU per call: the process's own CPU time, all its threads ([`process::CpuClock`]), over
//!   the warm calls, divided by their number: the work that is ours, not the wait for DynamoDB;
//! - memory: the peak resident set (`VmHWM`), and after the warm calls the process's own
//!   (`RssAnon`) and its mapped files' (`RssFile`);
//! - zip: the arm64 deployment zip.
//!
//! Two baselines are measured the same way: the hello-world, which echoes its event, and
//! `bench-sdk-read`, which reads one item through the AWS SDK as the shop configures it and
//! does nothing else: the floor under any function that reads DynamoDB.
//!
//! [`targets`] holds the results to issue 20's targets. `--only` measures a few functions and
//! the two baselines without the load, a screen while trying a change; `--load-only` runs the
//! load alone. In a full run the load comes first, on emulators nothing has used yet
//! (`scripts/bench` gives the measurements emulators of their own after it: `--load-from`).
//!
//! Search is measured on a generated catalogue of [`catalogue::PRODUCTS`] products, indexed
//! into the measured shop's search bucket before the functions run; the sales report on a year
//! of sales ([`sales`]), recorded into its reports table.
//!
//! A warm call's figures are those of the path its event took: [`answer`] tells a refusal (a
//! 404, an anonymous caller) from the work the event asks for, and the report names the
//! functions whose warm calls were refused.
//!
//! The parts: [`fixture`] makes real what the sample events name, [`measure`] runs and times
//! the functions ([`process`] reads `/proc`), [`load`] is the shopping load (customers are
//! [`crate::visitor::Visitor`]s, as in the journey tests), [`stats`] the percentiles, and
//! [`report`] writes `BENCHMARKS.md`, comparing with the previous run's numbers kept in it,
//! and [`cost`] prices an order's Lambda compute from them.

mod answer;
pub mod catalogue;
pub(crate) mod cost;
mod fixture;
mod load;
mod measure;
mod process;
mod report;
mod sales;
mod stats;
mod targets;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::local::{Binaries, Console, LocalConfig, LocalShop};
use crate::reconcile::Reconciliation;
use crate::template::workspace_root;

pub use cost::Order;
use report::rewritten;
pub use report::{machine, markdown, previous};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Native release builds (cargo-lambda's layout), to run.
    pub native: PathBuf,
    /// arm64 release builds with zips (cargo-lambda's layout), to weigh.
    pub zips: PathBuf,
    /// Only these functions (and the hello-world), and no load: a screen of a few
    /// representatives while trying a change. Empty for the full run.
    pub only: Vec<String>,
    /// Cargo's output folder, to run the shop around the functions measured from; `None` to
    /// run it from `native`.
    pub shop: Option<PathBuf>,
    /// The shopping load alone, no function measured.
    pub load_only: bool,
    /// The load's figures from an earlier `load_only` run, instead of running it.
    pub load_from: Option<PathBuf>,
    pub cold_starts: usize,
    pub warm_calls: usize,
    pub load: Duration,
    pub customers: usize,
}

impl BenchConfig {
    /// Whether `binary` is among the functions measured.
    pub fn measures(&self, binary: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|name| name == binary)
    }
}

/// One function's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionResult {
    pub name: String,
    pub init_ms: f64,
    /// The process's CPU time from its start to its first request for work (absent from older
    /// runs, as are the fields below that default).
    #[serde(default)]
    pub init_cpu_ms: f64,
    /// The median ratio of init to the hello-world's, each start paired with one of the hello's
    /// just before it; 0 in older runs, where `init_ms / hello.init_ms` stands in.
    #[serde(default)]
    pub init_vs_hello: f64,
    /// The same for init's CPU time.
    #[serde(default)]
    pub init_cpu_vs_hello: f64,
    /// The first invocation of a fresh process, with the first sample event.
    pub first_call_ms: f64,
    /// Warm invocations with that same first sample event, the median: what the first call is
    /// compared with.
    #[serde(default)]
    pub warm_first_event_ms: f64,
    pub warm_p50_ms: f64,
    pub warm_p99_ms: f64,
    pub cpu_per_call_us: f64,
    /// The 99th percentile of the CPU time of one warm call (absent from older runs).
    #[serde(default)]
    pub cpu_p99_us: f64,
    pub peak_rss_mb: f64,
    /// Resident memory after the warm calls: the process's own (heap, stacks) and the mapped
    /// files' (the executable, libc).
    #[serde(default)]
    pub rss_anon_mb: f64,
    #[serde(default)]
    pub rss_file_mb: f64,
    pub zip_mb: f64,
    /// Whether it only reads (all its routes are `GET`s, or it is the authorizer): it is held to
    /// the readers' CPU target.
    #[serde(default)]
    pub reads: bool,
    /// Failed invocations during the measurement (an answer of ours, even a 4xx, is not one).
    pub errors: usize,
    /// How many warm calls were measured (absent from older runs).
    #[serde(default)]
    pub warm_calls: usize,
    /// The warm calls that did not do what their event asked (a 404, an anonymous caller), by
    /// answer: their figures measure that refusal, not the function's work.
    #[serde(default)]
    pub refused: BTreeMap<String, usize>,
}

/// The shopping load's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadResult {
    pub seconds: f64,
    pub customers: usize,
    pub checkouts: usize,
    pub checkouts_per_second: f64,
    /// Route key to (requests, p50 ms, p99 ms).
    pub routes: BTreeMap<String, (usize, f64, f64)>,
    /// Requests answered with an unexpected status, or not at all.
    pub errors: Vec<String>,
    pub paid: usize,
    pub emailed: usize,
    /// The stores read directly once the queues have drained (absent from older runs).
    #[serde(default)]
    pub reconciliation: Reconciliation,
    /// Each function's invocations for the load, by binary: a function behind a route until
    /// the customers stopped, a consumer until the queues drained (absent from older runs).
    #[serde(default)]
    pub invocations: BTreeMap<String, usize>,
    /// The messages or stream records each consumer was handed in those calls, by binary
    /// (absent from older runs).
    #[serde(default)]
    pub records: BTreeMap<String, usize>,
    /// Where each function's invocations for the load spent their time, by binary, counted as
    /// `invocations` are (absent from older runs).
    #[serde(default)]
    pub timings: BTreeMap<String, Spread>,
    /// The functions' calls to each dependency during the load (`DynamoDB`, `SQS`, ...): how
    /// many, and their mean in ms (absent from older runs).
    #[serde(default)]
    pub dependencies: BTreeMap<String, (u64, f64)>,
}

/// A function's invocations under load: how long they waited for a process of the local
/// runtime's (Lambda would have started one), and how long the process then took, in ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub calls: usize,
    pub wait_p50_ms: f64,
    pub wait_p99_ms: f64,
    pub run_p50_ms: f64,
    pub run_p99_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub functions: Vec<FunctionResult>,
    pub hello: FunctionResult,
    /// The second baseline: the hello-world and one DynamoDB read through the SDK, nothing
    /// else (`bench/src/sdk_read.rs`); absent from older runs.
    #[serde(default)]
    pub sdk_read: Option<FunctionResult>,
    /// The shopping load; none in a screen of a few functions.
    pub load: Option<LoadResult>,
}

/// The password the benchmark's accounts use: the one in the sample events, so that
/// `user-login` measures real log-ins (its wrong-password sample is called once, in the
/// warm-up, not cycled: cycled, it throttled the account).
const PASSWORD: &str = "correct horse battery";

pub async fn run(config: &BenchConfig) -> Result<Report> {
    let declared = crate::template::Template::workspace()?.functions()?;
    if let Some(unknown) = config
        .only
        .iter()
        .find(|name| !declared.iter().any(|function| &function.binary == *name))
    {
        return Err(format!("--only: the template declares no function {unknown}").into());
    }
    let binaries = Binaries::Lambda(config.native.clone());
    let around = config
        .shop
        .clone()
        .map_or(binaries.clone(), Binaries::Cargo);
    // The load on emulators nothing has used yet, before the measurements (or on emulators of
    // its own, `load_from`): after the measurements DynamoDB Local took four times the CPU for
    // each call (its data, deleted, did not undo it), and the load made a third of the
    // checkouts. It gets a shop of its own, too: the sample events leave charges and results for
    // orders that never existed, which would muddle its books.
    let load = match (&config.load_from, config.only.is_empty()) {
        (_, false) => None,
        (Some(path), true) => Some(serde_json::from_str(&std::fs::read_to_string(path)?)?),
        (None, true) => Some(shopping_load_alone(&around, config).await?),
    };
    let shop = start_shop(&around).await?;
    index_generated_catalogue(&shop).await?;
    sales::record_a_year(&shop).await?;
    let fixture = fixture::Fixture::prepare(&shop, &declared, config).await?;
    // Nothing polls while functions are measured: idle pollers would ask moto for messages
    // hundreds of times a second, loading the machine the measurements run on.
    shop.pause_all_triggers().await;
    let measured = measure::all(
        config,
        &declared,
        &shop,
        &binaries,
        &fixture,
        Console::quiet(),
    )
    .await;
    shop.stop().await;
    let (functions, hello, sdk_read) = measured?;
    Ok(Report {
        functions,
        hello,
        sdk_read: Some(sdk_read),
        load,
    })
}

/// The shopping load on a fresh shop of `binaries`.
async fn shopping_load_alone(binaries: &Binaries, config: &BenchConfig) -> Result<LoadResult> {
    eprintln!(
        "shopping for {} s with {} customers",
        config.load.as_secs(),
        config.customers
    );
    let shop = start_shop(binaries).await?;
    let load = load::run(&shop, config).await;
    shop.stop().await;
    load
}

/// Runs the benchmarks and writes their report: `BENCHMARKS.md`, or for a screen (`only`)
/// `target/bench/SCREEN.md`, compared with `BENCHMARKS.md`'s numbers. Returns where it wrote.
pub async fn run_and_write(config: &BenchConfig) -> Result<PathBuf> {
    if config.load_only {
        return load_alone(config).await;
    }
    // Resolved first: a journey the template no longer serves fails now, not after the run.
    let order = cost::Order::from_template(&crate::template::Template::workspace()?)?;
    let report = run(config).await?;
    let root = workspace_root();
    let previous = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap_or_default();
    let path = if config.only.is_empty() {
        root.join("BENCHMARKS.md")
    } else {
        root.join("target/bench/SCREEN.md")
    };
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let date = time::OffsetDateTime::now_utc().date();
    let header = format!(
        "Measured by `scripts/bench` on {date} at commit `{commit}`, on {}.\n\n\
         Every function ran as its release binary, built by `cargo lambda build --release` for \
         this machine, under the harness's own Lambda Runtime API (`xtask/src/local/runtime.rs`), \
         with DynamoDB Local and moto on loopback; zip sizes are those of the arm64 deployment \
         zips (`cargo lambda build --release --arm64 --output-format zip`). Init is the median of \
         {} fresh starts, each just after one of the hello-world's; warm figures are over {} \
         calls: a reader's cycle its sample events from `events/` that succeed, a writer's \
         repeat its own event (`xtask/src/bench/fixture.rs` makes real what they name). No \
         queue or stream is polled while the functions are measured.{}",
        machine(),
        config.cold_starts,
        config.warm_calls,
        if config.shop.is_some() {
            " The shop around them ran from debug builds: a call a function makes to another \
             waits on a debug build, in its latency (not its CPU)."
        } else {
            ""
        }
    );
    if let Some(folder) = path.parent() {
        // A screen given its builds elsewhere finds no `target/bench` made for it.
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(&path, markdown(&report, &previous, &header, Some(&order)))?;
    Ok(path)
}

/// The shopping load on a fresh shop of the release builds, its section written to
/// `target/bench/LOAD.md`.
async fn load_alone(config: &BenchConfig) -> Result<PathBuf> {
    let load = shopping_load_alone(&Binaries::Lambda(config.native.clone()), config).await?;
    let mut text = String::from("# The shopping load alone (`scripts/bench --load-only`)\n");
    load::section(&load, &mut text);
    let folder = workspace_root().join("target/bench");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join("load.json"), serde_json::to_string(&load)?)?;
    let path = folder.join("LOAD.md");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Writes `BENCHMARKS.md` again from the figures it keeps, compared with `before` (an older
/// `BENCHMARKS.md`): after a change to how they are reported, without measuring again.
pub fn rewrite(before: &str) -> Result<PathBuf> {
    let path = workspace_root().join("BENCHMARKS.md");
    let order = cost::Order::from_template(&crate::template::Template::workspace()?)?;
    let current = std::fs::read_to_string(&path)?;
    let text = rewritten(&current, before, Some(&order))
        .ok_or("BENCHMARKS.md keeps no figures, or no header, to be written from")?;
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The benchmark's shopping load on `shop` for `config.load` with `config.customers` (the
/// integration tests run a short one against their own shop).
pub async fn shopping_load(shop: &LocalShop, config: &BenchConfig) -> Result<LoadResult> {
    load::run(shop, config).await
}

/// Indexes the generated catalogue into `shop`'s search bucket, beside what its indexer holds.
async fn index_generated_catalogue(shop: &LocalShop) -> Result<()> {
    let sdk = shared::aws::sdk_config().await;
    let snapshots = search::store::SnapshotStore::new(
        aws_sdk_s3::Client::new(&sdk),
        shop.names.refs["SearchBucket"].clone(),
    );
    let products = catalogue::generated(catalogue::PRODUCTS);
    search::handlers::index::Indexer::new(snapshots)
        .apply(&products)
        .await?;
    Ok(())
}

/// A local shop with fresh tables and queues, running the release builds, quietly.
async fn start_shop(binaries: &Binaries) -> Result<LocalShop> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let shop = LocalShop::start(LocalConfig {
        prefix: format!("bench{}-", &unique[..8]),
        http: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        invoke: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        binaries: binaries.clone(),
        web: workspace_root().join("web"),
        token_secret: format!("{unique}{unique}"),
        secrets: Default::default(),
        parameters: Default::default(),
        context: "benchmark".into(),
        environment: Vec::new(),
        redelivery: crate::deliver::Redelivery::AfterTimeout,
        batches_at_once: crate::local::BATCHES_AT_ONCE,
        console: Console::quiet(),
    })
    .await?;
    let sdk = shared::aws::sdk_config().await;
    let dynamodb = shared::aws::dynamodb(&sdk);
    let products = products::ProductStore::new(dynamodb.clone(), &shop.names.refs["ProductsTable"]);
    crate::seed::load(&products).await?;
    let users = users::UserStore::new(dynamodb, &shop.names.refs["UsersTable"]);
    for name in ["ada", "grace"] {
        crate::seed::account(&users, name, PASSWORD, name == "grace").await?;
    }
    Ok(shop)
}
