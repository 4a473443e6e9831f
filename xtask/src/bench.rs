//! The benchmarks: every function's cold start, warm latency, CPU time per call, memory and
//! package size, against a bare hello-world built the same way; and a shopping load through the
//! whole local shop. `scripts/bench` builds the binaries and calls `cargo xtask bench`, which
//! writes `BENCHMARKS.md`.
//!
//! Each function runs as its real release binary under our own Lambda Runtime API
//! ([`crate::local::runtime`]), one process at a time, with DynamoDB Local and moto behind it:
//!
//! - init: from starting the process to its first request for work (what Lambda calls init),
//!   the median of several fresh starts;
//! - first call: the first invocation of a process that is ready;
//! - warm p50 and p99 over the function's sample events from `events/`, cycled;
//! - CPU per call: the process's own CPU time (`/proc/<pid>/schedstat`) over the warm calls,
//!   divided by their number: the work that is ours, not the wait for DynamoDB;
//! - peak RSS: `VmHWM` from `/proc/<pid>/status` after the warm calls;
//! - zip: the arm64 deployment zip.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::Result;
use crate::http_client::send;
use crate::local::runtime::{FunctionSpec, Outcome, Pool};
use crate::local::{Binaries, Console, LocalConfig, LocalShop, function_spec};
use crate::reconcile::{Reconciliation, count_receipt_emails, reconcile};
use crate::template::{Template, workspace_root};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Native release builds (cargo-lambda's layout), to run.
    pub native: PathBuf,
    /// arm64 release builds with zips (cargo-lambda's layout), to weigh.
    pub zips: PathBuf,
    pub cold_starts: usize,
    pub warm_calls: usize,
    pub load: Duration,
    pub customers: usize,
}

/// One function's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionResult {
    pub name: String,
    pub init_ms: f64,
    pub first_call_ms: f64,
    pub warm_p50_ms: f64,
    pub warm_p99_ms: f64,
    pub cpu_per_call_us: f64,
    pub peak_rss_mb: f64,
    pub zip_mb: f64,
    /// Failed invocations during the measurement (an answer of ours, even a 4xx, is not one).
    pub errors: usize,
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub functions: Vec<FunctionResult>,
    pub hello: FunctionResult,
    pub load: LoadResult,
}

/// The password the benchmark's accounts use: the one in the sample events, so that
/// `user-login` measures real log-ins (and a wrong one in between, which never adds up to the
/// five failures that would throttle it).
const PASSWORD: &str = "correct horse battery";

pub async fn run(config: &BenchConfig) -> Result<Report> {
    let binaries = Binaries::Lambda(config.native.clone());
    let shop = start_shop(&binaries).await?;
    let measured = measure(config, &shop, &binaries, Console::quiet()).await;
    shop.stop().await;
    let (functions, hello) = measured?;

    // The load gets a shop of its own: the measurements' sample events leave charges and
    // results for orders that never existed, which would muddle its books.
    eprintln!(
        "shopping for {} s with {} customers",
        config.load.as_secs(),
        config.customers
    );
    let shop = start_shop(&binaries).await?;
    let load = shop_load(&shop, config).await;
    shop.stop().await;
    Ok(Report {
        functions,
        hello,
        load: load?,
    })
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

async fn measure(
    config: &BenchConfig,
    shop: &LocalShop,
    binaries: &Binaries,
    console: Console,
) -> Result<(Vec<FunctionResult>, FunctionResult)> {
    let token = log_in(shop.http, "ada").await?;

    let template = Template::workspace()?;
    let mut functions = Vec::new();
    for function in template.functions()? {
        let spec = function_spec(&function, &shop.names, binaries, shop.invoke)?;
        let events = sample_events(&function.binary, &token)?;
        eprintln!(
            "measuring {} ({} sample events)",
            function.binary,
            events.len()
        );
        functions
            .push(measure_function(spec, &events, config, console.clone(), &config.zips).await?);
    }
    let hello_spec = FunctionSpec {
        name: "bench-hello".into(),
        executable: binaries.executable("bench-hello"),
        environment: Vec::new(),
        memory_mb: 128,
        timeout: Duration::from_secs(3),
    };
    eprintln!("measuring bench-hello");
    let hello = measure_function(
        hello_spec,
        &[Bytes::from_static(br#"{"hello":"world"}"#)],
        config,
        console,
        &config.zips,
    )
    .await?;
    Ok((functions, hello))
}

/// The function's sample events, with a live token where they carry the placeholder.
fn sample_events(binary: &str, token: &str) -> Result<Vec<Bytes>> {
    let mut events = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("events"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    names.sort();
    for path in names {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        // `user-list` must not claim `user-list-customer`'s sibling `user-...` files: match the
        // binary exactly or followed by a hyphen, and prefer the longest binary name.
        if stem == binary || stem.starts_with(&format!("{binary}-")) {
            let text = std::fs::read_to_string(&path)?.replace("<token>", token);
            events.push(Bytes::from(text));
        }
    }
    if events.is_empty() {
        return Err(format!("no sample event for {binary} in events/").into());
    }
    Ok(events)
}

async fn measure_function(
    spec: FunctionSpec,
    events: &[Bytes],
    config: &BenchConfig,
    console: Console,
    zips: &Path,
) -> Result<FunctionResult> {
    let name = spec.name.clone();
    let mut inits = Vec::new();
    let mut first_calls = Vec::new();
    let mut errors = 0;
    for _ in 0..config.cold_starts {
        let pool = Pool::start(spec.clone(), console.clone()).await?;
        let (init, _) = pool.start_worker().await?;
        inits.push(init);
        let started = Instant::now();
        errors += usize::from(!succeeded(&pool.invoke(events[0].clone()).await?));
        first_calls.push(started.elapsed());
        pool.stop().await;
    }

    let pool = Pool::start(spec, console).await?;
    let (_, pid) = pool.start_worker().await?;
    // Warm up, then measure.
    for event in events {
        errors += usize::from(!succeeded(&pool.invoke(event.clone()).await?));
    }
    let cpu_before = cpu_time_ns(pid)?;
    let mut warm = Vec::with_capacity(config.warm_calls);
    for call in 0..config.warm_calls {
        let started = Instant::now();
        let outcome = pool.invoke(events[call % events.len()].clone()).await?;
        warm.push(started.elapsed());
        errors += usize::from(!succeeded(&outcome));
    }
    let cpu_after = cpu_time_ns(pid)?;
    let peak_rss_kb = peak_rss_kb(pid)?;
    pool.stop().await;

    let zip = zips.join(&name).join("bootstrap.zip");
    let zip_bytes = std::fs::metadata(&zip).map(|meta| meta.len()).unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    Ok(FunctionResult {
        name,
        init_ms: millis(median(&mut inits)),
        first_call_ms: millis(median(&mut first_calls)),
        warm_p50_ms: millis(percentile(&mut warm, 50)),
        warm_p99_ms: millis(percentile(&mut warm, 99)),
        cpu_per_call_us: (cpu_after.saturating_sub(cpu_before)) as f64
            / 1000.0
            / config.warm_calls.max(1) as f64,
        peak_rss_mb: peak_rss_kb as f64 / 1024.0,
        zip_mb: zip_bytes as f64 / 1_000_000.0,
        errors,
    })
}

/// Whether the function answered (an error of the function itself is a failure; an HTTP 4xx
/// it chose to answer is not).
fn succeeded(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Response(_))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn median(samples: &mut [Duration]) -> Duration {
    percentile(samples, 50)
}

fn percentile(samples: &mut [Duration], percent: usize) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let index = ((samples.len() * percent).div_ceil(100)).clamp(1, samples.len()) - 1;
    samples[index]
}

/// Nanoseconds the process has spent on a CPU (the first field of `/proc/<pid>/schedstat`).
fn cpu_time_ns(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/schedstat"))?;
    Ok(text
        .split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .ok_or("unreadable schedstat")?)
}

/// The process's peak resident set, in KiB (`VmHWM`).
fn peak_rss_kb(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .ok_or("no VmHWM")?)
}

async fn log_in(shop: SocketAddr, username: &str) -> Result<String> {
    let body = json!({ "username": username, "password": PASSWORD });
    let reply = send(shop, "POST", "/api/user/login", None, Some(&body)).await;
    reply.json()["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("log-in failed: {}", String::from_utf8_lossy(&reply.body)).into())
}

/// Latencies by route, and what went wrong.
#[derive(Debug, Default)]
struct Tally {
    latencies: BTreeMap<String, Vec<Duration>>,
    errors: Vec<String>,
    checkouts: Vec<(String, String)>,
}

/// Many customers at once, each registering, logging in, browsing, filling a cart and checking
/// out, again and again until the time is up; then every paid order's e-mail is looked for.
async fn shop_load(shop: &LocalShop, config: &BenchConfig) -> Result<LoadResult> {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut customers = Vec::new();
    for customer in 0..config.customers {
        let tally = Arc::clone(&tally);
        let stop = Arc::clone(&stop);
        let address = shop.http;
        customers.push(tokio::spawn(async move {
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                shop_once(address, customer, round, &tally).await;
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

    // Let the queues finish: every checked-out order should end paid and e-mailed.
    let checkouts = tally.lock().await.checkouts.clone();
    // As long again as the load ran (two minutes at least): a backlog is not a loss.
    let deadline = Instant::now() + config.load.max(Duration::from_secs(120));
    let mut paid = 0;
    for (id, token) in &checkouts {
        loop {
            let reply = send(
                shop.http,
                "GET",
                &format!("/api/order/{id}"),
                Some(token),
                None,
            )
            .await;
            if reply.json()["status"] == "PAID" {
                paid += 1;
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
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
    let reconciliation = reconcile(&shop.names, &ids).await?;

    let tally = tally.lock().await;
    let routes = tally
        .latencies
        .iter()
        .map(|(route, samples)| {
            let mut samples = samples.clone();
            let p50 = millis(percentile(&mut samples, 50));
            let p99 = millis(percentile(&mut samples, 99));
            (route.clone(), (samples.len(), p50, p99))
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
    })
}

/// One customer's visit; every request timed, every surprise noted.
async fn shop_once(shop: SocketAddr, customer: usize, round: usize, tally: &Mutex<Tally>) {
    let username = format!(
        "shopper{customer}x{round}y{}",
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let call = |method: &'static str,
                route: &'static str,
                path: String,
                token: Option<String>,
                body: Option<Value>,
                expected: u16| async move {
        let started = Instant::now();
        let reply = send(shop, method, &path, token.as_deref(), body.as_ref()).await;
        let elapsed = started.elapsed();
        let mut tally = tally.lock().await;
        tally
            .latencies
            .entry(route.to_owned())
            .or_default()
            .push(elapsed);
        if reply.status != expected {
            tally.errors.push(format!(
                "{route}: {} {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ));
            return None;
        }
        Some(reply.json())
    };
    let registration = json!({
        "username": username, "password": PASSWORD, "email": format!("{username}@example.com"),
        "first_name": "Bench", "last_name": "Customer",
    });
    if call(
        "POST",
        "POST /api/user/create",
        "/api/user/create".into(),
        None,
        Some(registration),
        201,
    )
    .await
    .is_none()
    {
        return;
    }
    let login = json!({ "username": username, "password": PASSWORD });
    let Some(session) = call(
        "POST",
        "POST /api/user/login",
        "/api/user/login".into(),
        None,
        Some(login),
        200,
    )
    .await
    else {
        return;
    };
    let Some(token) = session["token"].as_str().map(str::to_owned) else {
        return;
    };
    let Some(catalogue) = call(
        "GET",
        "GET /api/products",
        "/api/products?limit=12".into(),
        None,
        None,
        200,
    )
    .await
    else {
        return;
    };
    let slugs: Vec<String> = catalogue["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|product| product["slug"].as_str().map(str::to_owned))
        .collect();
    if slugs.len() < 2 {
        return;
    }
    let first = &slugs[(customer + round) % slugs.len()];
    let second = &slugs[(customer + round + 1) % slugs.len()];
    call(
        "GET",
        "GET /api/product/{id}",
        format!("/api/product/{first}"),
        None,
        None,
        200,
    )
    .await;
    for slug in [first, second] {
        let item = json!({ "product_id": slug, "qty": 1 + (round % 3) });
        call(
            "POST",
            "POST /api/order/add-item",
            "/api/order/add-item".into(),
            Some(token.clone()),
            Some(item),
            200,
        )
        .await;
    }
    call(
        "GET",
        "GET /api/order",
        "/api/order".into(),
        Some(token.clone()),
        None,
        200,
    )
    .await;
    let card = json!({
        "card_number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030, "holder": "Bench Customer",
    });
    if let Some(order) = call(
        "POST",
        "POST /api/order/checkout",
        "/api/order/checkout".into(),
        Some(token.clone()),
        Some(card),
        202,
    )
    .await
        && let Some(id) = order["id"].as_str()
    {
        tally.lock().await.checkouts.push((id.to_owned(), token));
    }
}

// ------------------------------------------------------------------------------------------------
// BENCHMARKS.md
// ------------------------------------------------------------------------------------------------

/// Functions that hash passwords or render PDFs, which may use more memory and CPU by design.
const HEAVY: &[&str] = &["user-create", "user-login", "receipt-get", "receipt-email"];
/// Functions whose own work is a password hash (argon2id, deliberately tens of milliseconds).
const HASHING: &[&str] = &["user-create", "user-login"];
const DATA_MARKER: &str = "<!-- bench-data:";

/// Where a result stands against its targets; the empty string when it meets them all.
fn misses(result: &FunctionResult, hello: &FunctionResult) -> Vec<String> {
    let mut missed = Vec::new();
    if result.init_ms > 2.0 * hello.init_ms {
        missed.push(format!("init {:.1}× hello", result.init_ms / hello.init_ms));
    }
    let memory_limit = if HEAVY.contains(&result.name.as_str()) {
        48.0
    } else {
        20.0
    };
    if result.peak_rss_mb >= memory_limit {
        missed.push(format!("memory ≥ {memory_limit} MB"));
    }
    if result.zip_mb >= 4.0 {
        missed.push("zip ≥ 4 MB".into());
    }
    if result.cpu_per_call_us >= 1000.0 && !HASHING.contains(&result.name.as_str()) {
        missed.push("CPU ≥ 1 ms a call".into());
    }
    if result.errors > 0 {
        missed.push(format!("{} failed calls", result.errors));
    }
    missed
}

/// The machine, as the report describes it.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024 / 1024);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {memory_gib} GiB, Linux {}",
        kernel.trim()
    )
}

/// The previous run's numbers, from the data kept at the end of `BENCHMARKS.md`.
pub fn previous(markdown: &str) -> Option<Report> {
    let start = markdown.find(DATA_MARKER)? + DATA_MARKER.len();
    let end = markdown[start..].find("-->")? + start;
    serde_json::from_str(markdown[start..end].trim()).ok()
}

/// `BENCHMARKS.md`, keeping the previous file's `## Notes` section.
pub fn markdown(report: &Report, previous_file: &str, header: &str) -> String {
    let before = previous(previous_file);
    let hello = &report.hello;
    let mut out = String::new();
    out.push_str("# Benchmarks\n\n");
    out.push_str(header);
    out.push_str("\n\n## Functions\n\n");
    out.push_str("Init and peak memory are also given as multiples of the hello-world's (`× hello`), which compare across machines. CPU is the process's own CPU time per warm call: the work that is ours, without the wait for DynamoDB.\n\n");
    out.push_str("| Function | Init ms | × hello | First call ms | Warm p50 ms | Warm p99 ms | CPU µs/call | Peak RSS MB | × hello | Zip MB | Targets |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for result in report.functions.iter().chain(std::iter::once(hello)) {
        let missed = misses(result, hello);
        let verdict = if result.name == hello.name {
            "baseline".to_owned()
        } else if missed.is_empty() {
            "✓".to_owned()
        } else {
            format!("✗ {}", missed.join(", "))
        };
        out.push_str(&format!(
            "| `{}` | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.1} | {:.2} | {:.2} | {} |\n",
            result.name,
            result.init_ms,
            result.init_ms / hello.init_ms,
            result.first_call_ms,
            result.warm_p50_ms,
            result.warm_p99_ms,
            result.cpu_per_call_us,
            result.peak_rss_mb,
            result.peak_rss_mb / hello.peak_rss_mb,
            result.zip_mb,
            verdict
        ));
    }

    let load = &report.load;
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
    out.push('\n');
    if !load.errors.is_empty() {
        out.push_str("\nErrors (first ten):\n\n");
        for error in load.errors.iter().take(10) {
            out.push_str(&format!("- {error}\n"));
        }
    }

    out.push_str("\n## Targets\n\n");
    let all_missed: Vec<String> = report
        .functions
        .iter()
        .filter_map(|result| {
            let missed = misses(result, hello);
            (!missed.is_empty()).then(|| format!("`{}`: {}", result.name, missed.join(", ")))
        })
        .collect();
    out.push_str("- Init at most 2× the hello-world's; peak memory under 20 MB (48 MB for the functions that hash passwords or render PDFs); deployment zip under 4 MB; under 1 ms of our own CPU per warm call (the password-hashing functions excepted: argon2id costs tens of milliseconds on purpose); no errors under load; every paid order charged once and e-mailed once, and the dead-letter queues empty.\n");
    if all_missed.is_empty() {
        out.push_str("- Every function meets its targets.\n");
    } else {
        for missed in &all_missed {
            out.push_str(&format!("- Missed: {missed} (see Notes).\n"));
        }
    }
    out.push_str(&format!(
        "- Load: {} errors; {} of {} paid orders e-mailed; the books {}.\n",
        load.errors.len(),
        load.emailed,
        load.paid,
        if load.reconciliation.balances(load.paid) {
            "balance"
        } else {
            "do not balance"
        }
    ));

    out.push_str("\n## Changes since the previous run\n\n");
    match before {
        None => out.push_str("This is the first recorded run.\n"),
        Some(before) => {
            let mut changes = Vec::new();
            for result in report.functions.iter().chain(std::iter::once(hello)) {
                let Some(old) = before
                    .functions
                    .iter()
                    .chain(std::iter::once(&before.hello))
                    .find(|old| old.name == result.name)
                else {
                    changes.push(format!("- `{}`: new", result.name));
                    continue;
                };
                let change = |new: f64, old: f64| {
                    if old > 0.0 {
                        (new - old) / old * 100.0
                    } else {
                        0.0
                    }
                };
                let notable: Vec<String> = [
                    ("init", change(result.init_ms, old.init_ms)),
                    ("warm p50", change(result.warm_p50_ms, old.warm_p50_ms)),
                    ("CPU", change(result.cpu_per_call_us, old.cpu_per_call_us)),
                    ("memory", change(result.peak_rss_mb, old.peak_rss_mb)),
                    ("zip", change(result.zip_mb, old.zip_mb)),
                ]
                .into_iter()
                .filter(|(_, percent)| percent.abs() >= 10.0)
                .map(|(what, percent)| format!("{what} {percent:+.0}%"))
                .collect();
                if !notable.is_empty() {
                    changes.push(format!("- `{}`: {}", result.name, notable.join(", ")));
                }
            }
            changes.push(format!(
                "- Load: {:.2} checkouts a second (was {:.2}), {} errors (was {}).",
                load.checkouts_per_second,
                before.load.checkouts_per_second,
                load.errors.len(),
                before.load.errors.len()
            ));
            out.push_str("Changes of 10% or more:\n\n");
            out.push_str(&changes.join("\n"));
            out.push('\n');
        }
    }

    let notes = previous_file
        .find("## Notes")
        .map(|start| {
            let rest = &previous_file[start..];
            let end = rest.find(DATA_MARKER).unwrap_or(rest.len());
            rest[..end].trim_end().to_owned()
        })
        .unwrap_or_else(|| "## Notes\n\n(Why a target is missed, and anything else a reader of these numbers should know. Kept from run to run.)".into());
    out.push('\n');
    out.push_str(&notes);
    out.push_str("\n\n");
    out.push_str(DATA_MARKER);
    out.push(' ');
    out.push_str(&serde_json::to_string(report).unwrap_or_default());
    out.push_str(" -->\n");
    out
}
