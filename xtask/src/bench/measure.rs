//! Each function as its release binary under the harness's Runtime API: init, first call, warm
//! latency, CPU per call, peak memory and zip size.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hyper::body::Bytes;

use super::stats::{median, millis, percentile};
use super::{BenchConfig, FunctionResult, PASSWORD};
use crate::Result;
use crate::local::runtime::{FunctionSpec, Outcome, Pool};
use crate::local::{Binaries, Console, LocalShop, function_spec};
use crate::template::{Template, workspace_root};
use crate::visitor::Visitor;

pub(super) async fn all(
    config: &BenchConfig,
    shop: &LocalShop,
    binaries: &Binaries,
    console: Console,
) -> Result<(Vec<FunctionResult>, FunctionResult)> {
    let mut ada = Visitor::new(shop.http);
    ada.log_in("ada", PASSWORD).await?;
    let token = ada.token.unwrap_or_default();

    let template = Template::workspace()?;
    let declared = template.functions()?;
    let names: Vec<&str> = declared.iter().map(|f| f.binary.as_str()).collect();
    let mut functions = Vec::new();
    for function in &declared {
        let spec = function_spec(function, &shop.names, binaries, shop.invoke)?;
        let events = sample_events(&function.binary, &names, &token)?;
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
fn sample_events(binary: &str, binaries: &[&str], token: &str) -> Result<Vec<Bytes>> {
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
        if owner(stem, binaries) == Some(binary) {
            let text = std::fs::read_to_string(&path)?.replace("<token>", token);
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
    let mut cpu = Vec::with_capacity(config.warm_calls);
    for call in 0..config.warm_calls {
        let (started, cpu_start) = (Instant::now(), cpu_time_ns(pid)?);
        let outcome = pool.invoke(events[call % events.len()].clone()).await?;
        warm.push(started.elapsed());
        cpu.push(Duration::from_nanos(
            cpu_time_ns(pid)?.saturating_sub(cpu_start),
        ));
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
        cpu_p99_us: percentile(&mut cpu, 99).as_secs_f64() * 1_000_000.0,
        peak_rss_mb: peak_rss_kb as f64 / 1024.0,
        zip_mb: zip_bytes as f64 / 1_000_000.0,
        errors,
    })
}

/// Whether the function answered, without a 5xx to an HTTP event and without failed records in
/// a batch (an error of the function itself is a failure, and so is a 500 it turned it into, or
/// a message it reported failed; a 4xx it chose to answer, such as a second registration's 409,
/// is not).
fn succeeded(outcome: &Outcome) -> bool {
    let Outcome::Response(payload) = outcome else {
        return false;
    };
    let Ok(response) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return true;
    };
    let server_error = response
        .get("statusCode")
        .and_then(serde_json::Value::as_u64)
        .is_some_and(|status| status >= 500);
    let failed_records = response
        .get("batchItemFailures")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|failures| !failures.is_empty());
    !server_error && !failed_records
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
