//! Each function as its release binary under the harness's Runtime API: init, first call, warm
//! latency, CPU per call, peak memory and zip size.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;

use super::answer::Answer;
use super::fixture::Fixture;
use super::process::{CpuClock, memory};
use super::stats::{median, median_of, millis, percentile};
use super::{BenchConfig, FunctionResult};
use crate::Result;
use crate::local::runtime::{FunctionSpec, Pool};
use crate::local::{Binaries, Console, LocalShop, function_spec};
use crate::template::workspace_root;

/// Measures `declared`'s functions (those `config.only` names, or all), the hello-world and
/// the SDK baseline.
pub(super) async fn all(
    config: &BenchConfig,
    declared: &[crate::template::Function],
    shop: &LocalShop,
    binaries: &Binaries,
    fixture: &Fixture,
    console: Console,
) -> Result<(Vec<FunctionResult>, FunctionResult, FunctionResult)> {
    let names: Vec<&str> = declared.iter().map(|f| f.binary.as_str()).collect();
    let hello = Pool::start(
        FunctionSpec {
            name: "bench-hello".into(),
            executable: binaries.executable("bench-hello"),
            environment: Vec::new(),
            memory_mb: 128,
            timeout: Duration::from_secs(3),
        },
        console.clone(),
    )
    .await?;
    let measured = Measured {
        config,
        hello,
        fixture,
    };
    let mut functions = Vec::new();
    for function in declared {
        if !config.measures(&function.binary) {
            continue;
        }
        let spec = function_spec(function, &shop.names, binaries, shop.invoke)?;
        let events = sample_events(&function.binary, &names, fixture)?;
        eprintln!(
            "measuring {} ({} sample events)",
            function.binary,
            events.len()
        );
        // One Runtime API for all the function's fresh starts.
        let pool = Pool::start(spec, console.clone()).await?;
        let result = measured
            .function(&pool, &events, reads_only(function), true)
            .await?;
        functions.push(result);
    }
    eprintln!("measuring bench-hello");
    let hello = measured
        .function(
            &measured.hello,
            &[Bytes::from_static(br#"{"hello":"world"}"#)],
            false,
            false,
        )
        .await?;
    // With `product-get`'s environment and role, whose table it reads.
    let reader = declared
        .iter()
        .find(|function| function.binary == "product-get")
        .ok_or("the template declares no product-get, whose table the SDK baseline reads")?;
    let mut spec = function_spec(reader, &shop.names, binaries, shop.invoke)?;
    spec.name = "bench-sdk-read".into();
    spec.executable = binaries.executable("bench-sdk-read");
    eprintln!("measuring bench-sdk-read");
    let pool = Pool::start(spec, console).await?;
    let sdk_read = measured
        .function(&pool, &[sdk_read_event()], true, true)
        .await?;
    Ok((functions, hello, sdk_read))
}

/// The SDK baseline's event: the key of a product the shop is seeded with, as the products
/// table keeps it.
fn sdk_read_event() -> Bytes {
    let key = format!("PRODUCT#{}", super::fixture::CART_PRODUCT);
    Bytes::from(serde_json::json!({ "pk": key }).to_string())
}

/// Whether the function only reads: its routes are all `GET`s, or it is the authorizer (no
/// route, no trigger). What a queue or a stream delivers is always written somewhere.
fn reads_only(function: &crate::template::Function) -> bool {
    function.queue_triggers.is_empty()
        && function.stream_triggers.is_empty()
        && !writes_over_http(function)
}

/// Whether one of the function's routes is not a `GET`.
pub(super) fn writes_over_http(function: &crate::template::Function) -> bool {
    function.routes.iter().any(|route| route.method != "GET")
}

/// The function's sample events, naming what the fixture made real.
fn sample_events(binary: &str, binaries: &[&str], fixture: &Fixture) -> Result<Vec<Bytes>> {
    let mut events = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("events"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    // The function's own event (`<binary>.json`) first: the first call of each fresh process
    // is made with it, and a variant (`product-get-missing`) sorts before it.
    names.sort_by_key(|path| (path.file_stem() != Some(binary.as_ref()), path.clone()));
    for path in names {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if owner(stem, binaries) == Some(binary) {
            let text = fixture.event(binary, &std::fs::read_to_string(&path)?);
            events.push(Bytes::from(text));
        }
    }
    if events.is_empty() {
        return Err(format!("no sample event for {binary} in events/").into());
    }
    Ok(events)
}

/// The function a sample event is for: the longest function name that is the event's file name
/// or begins it before a hyphen (`user-list-customer` is `user-list`'s, but
/// `user-logout-everywhere` and `user-password-reset-email` have functions of their own).
fn owner<'a>(stem: &str, binaries: &[&'a str]) -> Option<&'a str> {
    binaries
        .iter()
        .copied()
        .filter(|binary| {
            stem.strip_prefix(binary)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        })
        .max_by_key(|binary| binary.len())
}

/// How the functions are measured: the run's settings and the hello-world beside them.
struct Measured<'a> {
    config: &'a BenchConfig,
    /// The hello-world's Runtime API, whose processes start beside each function's.
    hello: Arc<Pool>,
    /// What the events name, and a new name for each call of a writer that needs one.
    fixture: &'a Fixture,
}

/// One fresh process, ready for its first invocation: its init, and the CPU that took.
struct Start {
    pid: u32,
    init: Duration,
    cpu: Duration,
    clock: CpuClock,
}

/// Starts a fresh process of `pool`'s function and waits until it asks for work.
async fn start(pool: &Pool) -> Result<Start> {
    let (init, pid) = pool.start_worker().await?;
    let mut clock = CpuClock::of(pid);
    // The process now waits for its first invocation: its CPU time so far is init's.
    let cpu = clock.read()?;
    Ok(Start {
        pid,
        init,
        cpu,
        clock,
    })
}

impl Measured<'_> {
    /// Measures `pool`'s function on its sample `events`. With `beside_hello`, each fresh start
    /// follows one of the hello-world's, and init is also given as the median of those pairs'
    /// ratios: the machine's speed drifts over a run, and a pair shares its moment.
    async fn function(
        &self,
        pool: &Pool,
        events: &[Bytes],
        reads: bool,
        beside_hello: bool,
    ) -> Result<FunctionResult> {
        let config = self.config;
        let name = pool.name().to_owned();
        let (mut inits, mut init_cpus, mut first_calls) = (Vec::new(), Vec::new(), Vec::new());
        let (mut init_ratios, mut init_cpu_ratios) = (Vec::new(), Vec::new());
        let mut errors = 0;
        for _ in 0..config.cold_starts {
            // Made ready first, so that neither fresh process waits on it.
            let event = self.fixture.call(&name, &events[0]).await?;
            let hello = if beside_hello {
                let hello = start(&self.hello).await?;
                self.hello.stop().await;
                Some(hello)
            } else {
                None
            };
            let fresh = start(pool).await?;
            let called = Instant::now();
            errors += usize::from(Answer::of(&pool.invoke(event).await?).failed());
            first_calls.push(called.elapsed());
            pool.stop().await;
            if let Some(hello) = hello {
                init_ratios.push(fresh.init.as_secs_f64() / hello.init.as_secs_f64());
                init_cpu_ratios.push(fresh.cpu.as_secs_f64() / hello.cpu.as_secs_f64().max(1e-9));
            }
            inits.push(fresh.init);
            init_cpus.push(fresh.cpu);
        }

        let Start { pid, mut clock, .. } = start(pool).await?;
        // Warm up, then measure, with the events that are repeatable work. A reader's events
        // are all repeatable; those it refuses (`product-get-missing`) would measure a shorter
        // path. A writer's own event alone: its variants change what that event needs
        // (`order-update-item-remove` takes away the line it sets), and its refusals
        // (`user-login-wrong-password`) would pile up into a throttle.
        let mut cycle = Vec::new();
        for sample in if reads { events } else { &events[..1] } {
            let event = self.fixture.call(&name, sample).await?;
            let answer = Answer::of(&pool.invoke(event).await?);
            errors += usize::from(answer.failed());
            if cycle.is_empty() || answer.succeeded() {
                cycle.push(sample.clone());
            }
        }
        let events = cycle;
        let cpu_before = clock.read()?;
        let mut warm = Vec::with_capacity(config.warm_calls);
        let mut warm_first_event = Vec::new();
        let mut cpu = Vec::with_capacity(config.warm_calls);
        let mut refused = BTreeMap::new();
        for call in 0..config.warm_calls {
            // The clock is read before the timer starts: a pass over `/proc/<pid>/task` is not
            // the function's latency.
            let event = self
                .fixture
                .call(&name, &events[call % events.len()])
                .await?;
            let cpu_start = clock.read()?;
            let started = Instant::now();
            let outcome = pool.invoke(event).await?;
            let took = started.elapsed();
            warm.push(took);
            if call % events.len() == 0 {
                warm_first_event.push(took);
            }
            cpu.push(clock.read()?.saturating_sub(cpu_start));
            let answer = Answer::of(&outcome);
            errors += usize::from(answer.failed());
            if answer.refused() {
                *refused.entry(answer.label()).or_default() += 1;
            }
        }
        let cpu_after = clock.read()?;
        let memory = memory(pid)?;
        pool.stop().await;

        let zip = config.zips.join(&name).join("bootstrap.zip");
        let zip_bytes = std::fs::metadata(&zip).map(|meta| meta.len()).unwrap_or(0);
        let mb = |kb: u64| kb as f64 / 1024.0;
        #[allow(clippy::cast_precision_loss)]
        Ok(FunctionResult {
            name,
            init_ms: millis(median(&mut inits)),
            init_cpu_ms: millis(median(&mut init_cpus)),
            init_vs_hello: median_of(&mut init_ratios),
            init_cpu_vs_hello: median_of(&mut init_cpu_ratios),
            first_call_ms: millis(median(&mut first_calls)),
            warm_first_event_ms: millis(median(&mut warm_first_event)),
            warm_p50_ms: millis(percentile(&mut warm, 50)),
            warm_p99_ms: millis(percentile(&mut warm, 99)),
            cpu_per_call_us: cpu_after.saturating_sub(cpu_before).as_secs_f64() * 1_000_000.0
                / config.warm_calls.max(1) as f64,
            cpu_p99_us: percentile(&mut cpu, 99).as_secs_f64() * 1_000_000.0,
            peak_rss_mb: mb(memory.peak_kb),
            rss_anon_mb: mb(memory.anon_kb),
            rss_file_mb: mb(memory.file_kb),
            zip_mb: zip_bytes as f64 / 1_000_000.0,
            reads,
            errors,
            warm_calls: config.warm_calls,
            refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn a_sample_event_is_for_the_function_with_the_longest_matching_name() {
        let binaries = [
            "user-list",
            "user-logout",
            "user-logout-everywhere",
            "user-password-reset",
            "user-password-reset-email",
        ];
        assert_eq!(owner("user-list-customer", &binaries), Some("user-list"));
        assert_eq!(owner("user-logout", &binaries), Some("user-logout"));
        assert_eq!(
            owner("user-logout-everywhere", &binaries),
            Some("user-logout-everywhere")
        );
        assert_eq!(
            owner("user-password-reset-email", &binaries),
            Some("user-password-reset-email")
        );
        assert_eq!(owner("user-listing", &binaries), None);
    }
}
