//! `BENCHMARKS.md`: the functions against their targets, the shopping load and what an order
//! costs in Lambda ([`cost`]), what changed since
//! the previous run (whose numbers the file keeps at its end), and the notes, kept from run to run.

use super::cost::{self, Order};
use super::targets::{Miss, beside_floor, first_minus_warm, init_cpu_ratio, init_ratio, misses};
use super::{FunctionResult, Report};

/// The search function's own targets, on the generated catalogue.
const SEARCH: &str = "search-query";
const SEARCH_CPU_P99_US: f64 = 2_000.0;
const SEARCH_COLD_MS: f64 = 50.0;
const DATA_MARKER: &str = "<!-- bench-data:";

/// `search-query` on the generated catalogue, against the search service's own targets.
fn search_section(search: &FunctionResult) -> String {
    let cold = search.init_ms + search.first_call_ms;
    let check = |met: bool| if met { "✓" } else { "✗" };
    format!(
        "\n## Search on {} generated products\n\n`search-query` answers from a snapshot of {} products (the `bench` catalogue, `xtask/src/bench/catalogue.rs`) loaded from the search bucket at start, over its sample events (a word, a prefix, a typo, filters and sorts, browsing by category).\n\n| Target | Measured | |\n|---|---:|---|\n| Warm CPU per search, p99, under 2 ms | {:.0} µs | {} |\n| Cold start (init and the first search) under 50 ms | {:.1} ms | {} |\n| Deployment zip under 4 MB | {:.2} MB | {} |\n| Peak memory under 48 MB | {:.1} MB | {} |\n",
        super::catalogue::PRODUCTS,
        super::catalogue::PRODUCTS,
        search.cpu_p99_us,
        check(search.cpu_p99_us < SEARCH_CPU_P99_US),
        cold,
        check(cold < SEARCH_COLD_MS),
        search.zip_mb,
        check(search.zip_mb < 4.0),
        search.peak_rss_mb,
        check(search.peak_rss_mb < 48.0),
    )
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

/// `BENCHMARKS.md`, keeping the previous file's `## Notes` section; with `order`, what an
/// order costs in Lambda priced from the run.
pub fn markdown(
    report: &Report,
    previous_file: &str,
    header: &str,
    order: Option<&Order>,
) -> String {
    let mut out = String::new();
    out.push_str("# Benchmarks\n\n");
    out.push_str(header);
    out.push_str("\n\n## Functions\n\n");
    out.push_str("Init, CPU and peak memory are also given as multiples of the hello-world's (`× hello`), which compare across machines; init's is the median ratio of starts paired with one of the hello's just before. Init CPU is the process's CPU time to its first request for work. First − warm is the first call of a fresh process less a warm call of the same event. CPU is the process's own CPU time per warm call, all its threads: the work that is ours, without the wait for DynamoDB. Anon / file is resident memory after the warm calls: the process's own, and its mapped executable and libraries. R marks a function that only reads.\n\n");
    functions_table(report, &mut out);
    if let Some(search) = report.functions.iter().find(|result| result.name == SEARCH) {
        out.push_str(&search_section(search));
    }
    if let Some(load) = &report.load {
        super::load::section(load, &mut out);
    }
    if let Some(order) = order {
        out.push_str(&cost::section(order, report));
    }
    targets_section(report, &mut out);
    changes_section(report, previous(previous_file), &mut out);
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

/// `current` (a `BENCHMARKS.md`) written again from the figures it keeps, with its header and
/// notes, and compared with `before`'s figures (an older `BENCHMARKS.md`; empty for none).
/// `None` if `current` keeps no figures or has no header.
pub(super) fn rewritten(current: &str, before: &str, order: Option<&Order>) -> Option<String> {
    let report = previous(current)?;
    let header = current
        .strip_prefix("# Benchmarks\n\n")?
        .split_once("\n\n## Functions")?
        .0;
    let ours = current.find(DATA_MARKER).unwrap_or(current.len());
    let theirs = before.find(DATA_MARKER).map_or("", |at| &before[at..]);
    Some(markdown(
        &report,
        &format!("{}{theirs}", &current[..ours]),
        header,
        order,
    ))
}

fn functions_table(report: &Report, out: &mut String) {
    let hello = &report.hello;
    out.push_str("| Function | Init ms | × hello | Init CPU ms | × hello | First − warm ms | Warm p50 ms | Warm p99 ms | CPU µs/call | × hello | CPU p99 µs | Peak RSS MB | × hello | Anon / file MB | Zip MB | Targets |\n");
    out.push_str(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    let baselines = std::iter::once(hello).chain(report.sdk_read.as_ref());
    for result in report.functions.iter().chain(baselines) {
        let missed = misses(result, hello);
        let verdict = if result.name == hello.name {
            "baseline".to_owned()
        } else if report.sdk_read.as_ref().map(|sdk| &sdk.name) == Some(&result.name) {
            "baseline: one read through the SDK".to_owned()
        } else if missed.is_empty() {
            "✓".to_owned()
        } else {
            format!("✗ {}", joined(&missed))
        };
        out.push_str(&format!(
            "| `{}`{} | {:.1} | {:.2} | {:.1} | {:.2} | {:+.1} | {:.2} | {:.2} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2} | {:.1} / {:.1} | {:.2} | {} |\n",
            result.name,
            if result.reads { " R" } else { "" },
            result.init_ms,
            init_ratio(result, hello),
            result.init_cpu_ms,
            init_cpu_ratio(result, hello),
            first_minus_warm(result),
            result.warm_p50_ms,
            result.warm_p99_ms,
            result.cpu_per_call_us,
            result.cpu_per_call_us / hello.cpu_per_call_us,
            result.cpu_p99_us,
            result.peak_rss_mb,
            result.peak_rss_mb / hello.peak_rss_mb,
            result.rss_anon_mb,
            result.rss_file_mb,
            result.zip_mb,
            verdict
        ));
    }
}

/// Misses as the report lists them.
fn joined(missed: &[Miss]) -> String {
    missed
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn targets_section(report: &Report, out: &mut String) {
    let hello = &report.hello;
    out.push_str("\n## Targets\n\n");
    let all_missed: Vec<String> = report
        .functions
        .iter()
        .filter_map(|result| {
            let missed = misses(result, hello);
            if missed.is_empty() {
                return None;
            }
            let floor = report
                .sdk_read
                .as_ref()
                .map(|sdk_read| beside_floor(&missed, sdk_read, hello))
                .unwrap_or_default();
            let floor = if floor.is_empty() {
                String::new()
            } else {
                format!(" (the SDK baseline: {})", floor.join(", "))
            };
            Some(format!("`{}`: {}{floor}", result.name, joined(&missed)))
        })
        .collect();
    out.push_str(&format!("- {}\n", super::targets::described()));
    if let Some(sdk_read) = &report.sdk_read {
        out.push_str(&format!("- {}\n", super::targets::floor(sdk_read, hello)));
    }
    if all_missed.is_empty() {
        out.push_str("- Every function meets its targets.\n");
    } else {
        for missed in &all_missed {
            out.push_str(&format!("- Missed: {missed} (see Notes).\n"));
        }
    }
    for result in &report.functions {
        if !result.refused.is_empty() {
            let refused: Vec<String> = result
                .refused
                .iter()
                .map(|(answer, count)| format!("{answer} to {count}"))
                .collect();
            out.push_str(&format!(
                "- Refused: `{}` answered {} of its {} warm calls: those calls measure a refusal, not its work.\n",
                result.name,
                refused.join(", "),
                result.warm_calls
            ));
        }
    }
    let Some(load) = &report.load else {
        return;
    };
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
}

fn changes_section(report: &Report, before: Option<Report>, out: &mut String) {
    let hello = &report.hello;
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
            if let (Some(load), Some(old)) = (&report.load, &before.load) {
                changes.push(format!(
                    "- Load: {:.2} checkouts a second (was {:.2}), {} errors (was {}).",
                    load.checkouts_per_second,
                    old.checkouts_per_second,
                    load.errors.len(),
                    old.errors.len()
                ));
            }
            out.push_str("Changes of 10% or more:\n\n");
            out.push_str(&changes.join("\n"));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::bench::targets::tests::result;
    use crate::bench::{LoadResult, Spread};
    use crate::reconcile::Reconciliation;

    fn report(init_ms: f64) -> Report {
        Report {
            functions: vec![
                result("product-get", init_ms, 7.0, 120.0),
                result("user-login", 7.0, 30.0, 45_000.0),
            ],
            hello: result("bench-hello", 5.0, 4.0, 40.0),
            sdk_read: None,
            load: Some(LoadResult {
                seconds: 30.0,
                customers: 2,
                checkouts: 3,
                checkouts_per_second: 0.1,
                routes: BTreeMap::from([("GET /api/products".to_owned(), (10, 3.0, 9.0))]),
                errors: Vec::new(),
                paid: 3,
                emailed: 3,
                reconciliation: Reconciliation {
                    charges: 3,
                    approved_payments: 3,
                    emails: 3,
                    orders_emailed: 3,
                    dead_letters: BTreeMap::from([("CheckoutDeadLetterQueue".to_owned(), 0)]),
                    outbox: 0,
                },
                invocations: BTreeMap::new(),
                records: BTreeMap::new(),
                timings: BTreeMap::from([(
                    "user-login".to_owned(),
                    Spread {
                        calls: 4,
                        wait_p50_ms: 900.0,
                        wait_p99_ms: 2000.0,
                        run_p50_ms: 300.0,
                        run_p99_ms: 610.5,
                    },
                )]),
                dependencies: BTreeMap::from([("DynamoDB".to_owned(), (40, 12.5))]),
            }),
        }
    }

    #[test]
    fn search_is_held_to_its_own_targets() {
        let mut with_search = report(6.0);
        with_search
            .functions
            .push(result("search-query", 12.0, 30.0, 400.0));
        let text = markdown(&with_search, "", "Measured here.", None);
        assert!(
            text.contains("## Search on 10000 generated products"),
            "{text}"
        );
        assert!(
            text.contains("| Warm CPU per search, p99, under 2 ms | 800 µs | ✓ |"),
            "{text}"
        );
        assert!(
            text.contains("| Cold start (init and the first search) under 50 ms | 13.0 ms | ✓ |")
        );
        with_search.functions[2].cpu_p99_us = 2_500.0;
        let slow = markdown(&with_search, "", "Measured here.", None);
        assert!(slow.contains("| 2500 µs | ✗ |"), "{slow}");
        assert!(!markdown(&report(6.0), "", "", None).contains("## Search"));
    }

    #[test]
    fn the_report_keeps_its_notes_and_data_and_compares_with_the_last_run() {
        let first = markdown(&report(6.0), "", "Measured here.", None);
        assert!(first.contains("This is the first recorded run."));
        assert!(first.contains("| `product-get` | 6.0 | 1.20 |"), "{first}");
        assert!(first.contains("| `bench-hello` | 5.0 | 1.00 |"));
        assert!(first.contains("baseline"));
        assert!(
            first.contains("Every checkout was paid, charged, recorded and e-mailed exactly once.")
        );
        assert!(first.contains("- Every function meets its targets."));
        let kept = first.replace(
            "(Why a target is missed, and anything else a reader of these numbers should know. Kept from run to run.)",
            "Our own note.",
        );
        let read = previous(&kept).unwrap();
        assert_eq!(read.functions[0].init_ms, 6.0);

        let second = markdown(&report(12.0), &kept, "Measured again.", None);
        assert!(second.contains("Our own note."), "{second}");
        assert!(second.contains("- `product-get`: init +100%"), "{second}");
        assert!(second.contains("- Missed: `product-get`: init 2.4× hello (see Notes)."));
        assert_eq!(previous(&second).unwrap().functions[0].init_ms, 12.0);
        assert!(second.contains("- Load: 0.10 checkouts a second (was 0.10)"));
    }

    #[test]
    fn the_sdk_baseline_is_a_row_of_its_own_and_the_floor_under_the_targets() {
        let mut with_floor = report(6.0);
        with_floor.sdk_read = Some(result("bench-sdk-read", 6.0, 5.0, 300.0));
        let text = markdown(&with_floor, "", "Measured here.", None);
        assert!(text.contains("| `bench-sdk-read` | 6.0 |"), "{text}");
        assert!(
            text.contains("baseline: one read through the SDK |"),
            "{text}"
        );
        // 300 µs is 7.5 times the hello's 40; the read target is 150/46 of that.
        assert!(
            text.contains("CPU 300 µs a warm call (7.5× hello, where the read target is 130 µs and the write target 261)"),
            "{text}"
        );
        assert!(!text.contains("Missed: `bench-sdk-read`"), "{text}");
        // product-get starts in 2.4 times the hello's time, the baseline in 1.2 times.
        with_floor.functions[0].init_ms = 12.0;
        let text = markdown(&with_floor, "", "Measured here.", None);
        assert!(
            text.contains("- Missed: `product-get`: init 2.4× hello (the SDK baseline: init 1.2× hello) (see Notes)."),
            "{text}"
        );
    }

    #[test]
    fn a_report_written_again_from_its_figures_is_the_same_report() {
        let first = markdown(&report(6.0), "", "Measured here.", None);
        let noted = first.replace(
            "(Why a target is missed, and anything else a reader of these numbers should know. Kept from run to run.)",
            "Our own note.",
        );
        let second = markdown(&report(12.0), &noted, "Measured again.", None);
        assert_eq!(
            rewritten(&second, &noted, None).as_deref(),
            Some(second.as_str())
        );
        let alone = rewritten(&second, "", None).unwrap();
        assert!(alone.contains("Our own note.") && alone.contains("Measured again."));
        assert!(alone.contains("This is the first recorded run."), "{alone}");
        assert_eq!(rewritten("# Benchmarks\n\nNo figures.", "", None), None);
    }

    #[test]
    fn a_screen_of_a_few_functions_has_no_load() {
        let mut screen = report(6.0);
        screen.load = None;
        let text = markdown(&screen, "", "A screen.", None);
        assert!(text.contains("| `product-get` | 6.0 | 1.20 |"), "{text}");
        assert!(!text.contains("## Shopping load") && !text.contains("- Load:"));
        let compared = markdown(&report(6.0), &text, "A full run after it.", None);
        assert!(compared.contains("## Shopping load"), "{compared}");
        assert!(
            compared.contains("| `user-login` | 4 | 900.0 | 2000.0 | 300.0 | 610.5 |")
                && compared.contains("DynamoDB 40 calls, 12.5 ms each on average"),
            "{compared}"
        );
        assert!(!compared.contains("checkouts a second (was"), "{compared}");
    }

    #[test]
    fn warm_calls_that_were_refused_are_named() {
        let mut refused = report(6.0);
        let text = markdown(&refused, "", "Nothing refused.", None);
        assert!(!text.contains("- Refused:"), "{text}");
        refused.functions[0].refused.insert("404".into(), 150);
        let text = markdown(&refused, "", "One refused.", None);
        assert!(
            text.contains("- Refused: `product-get` answered 404 to 150 of its 200 warm calls:"),
            "{text}"
        );
        assert!(text.contains("150 warm calls refused"), "{text}");
    }
}
