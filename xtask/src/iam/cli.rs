//! `cargo xtask iam report [--check]` and `cargo xtask iam mutants`: what the test run's usage
//! logs (see [`super::usage`]) say about the template's policies.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::usage::{self, USAGE_DIR_VARIABLE};
use super::{Gate, Principal, WITHOUT_VARIABLE};
use crate::Result;
use crate::template::{Template, workspace_root};

/// The usage logs' folder: `SHOP_IAM_USAGE_DIR`, or `target/iam-usage`.
pub fn usage_dir() -> PathBuf {
    std::env::var_os(USAGE_DIR_VARIABLE)
        .map_or_else(|| workspace_root().join("target/iam-usage"), PathBuf::from)
}

/// Every function's policy, resolved against the names the local shop gives its resources.
fn principals() -> Result<Vec<Principal>> {
    let template = Template::workspace()?;
    let names = crate::provision::names_for(&template, "")?;
    Ok(Gate::new(&template, &names, "report")?
        .principals()
        .cloned()
        .collect())
}

/// Prints the report; with `check`, fails unless every grant was used and nothing refused.
#[allow(clippy::print_stdout)]
pub fn report(dir: &Path, check: bool) -> Result<()> {
    let records = usage::read(dir)?;
    let principals = principals()?;
    let (text, clean) = usage::render(&usage::usage(principals.iter(), &records));
    println!("{text}");
    if check && !clean {
        return Err(
            "a policy grants what no test used, or a function was refused (above): remove the \
             grant, or add the test that needs it"
                .into(),
        );
    }
    Ok(())
}

/// Removes each statement of each policy in turn and runs the tests that used it until one
/// fails naming the function; fails if any statement survives.
///
/// The `api` test binary is run directly, `SHOP_IAM_MUTANT_JOBS` (default 2) statements at a
/// time: as many tests at once as `cargo test` runs on two cores, without a hundred cargo
/// start-ups. Contention can only make a test fail without naming the refusal, which reads as a
/// survivor, never as a false kill; survivors are tried again, alone, before they count.
#[allow(clippy::print_stdout)]
pub fn mutants(dir: &Path) -> Result<()> {
    let records = usage::read(dir)?;
    let principals = principals()?;
    let candidates = usage::candidates(&principals, &records);
    let binary = api_test_binary()?;
    let jobs: Vec<(&Principal, usize, String)> = principals
        .iter()
        .flat_map(|principal| {
            principal
                .policy
                .statements
                .iter()
                .enumerate()
                .map(move |(index, statement)| {
                    let label = format!("{} {}", principal.logical_id, statement.origin);
                    (principal, index, label)
                })
        })
        .collect();
    let workers = std::env::var("SHOP_IAM_MUTANT_JOBS")
        .ok()
        .and_then(|jobs| jobs.parse::<usize>().ok())
        .unwrap_or(2)
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Killed>>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((principal, index, _)) = jobs.get(at) else {
                        break;
                    };
                    let tests = &candidates[&(principal.logical_id.clone(), *index)];
                    let outcome = kill(&binary, principal, *index, tests);
                    if let Ok(mut slot) = results[at].lock() {
                        *slot = Some(outcome);
                    }
                }
            });
        }
    });
    let mut survivors = Vec::new();
    for ((principal, index, label), result) in jobs.iter().zip(results) {
        let result = result
            .into_inner()
            .map_err(|_| "a mutant's worker panicked")?
            .ok_or("a mutant was not run")?;
        // A survivor is tried again alone, so that a test slowed by its neighbour (a timeout,
        // not the refusal) cannot turn the run red.
        let result = match result? {
            None => {
                let tests = &candidates[&(principal.logical_id.clone(), *index)];
                kill(&binary, principal, *index, tests)?
            }
            killed => killed,
        };
        match result {
            Some((test, took)) => println!(
                "killed    {label}: {test} fails without it ({:.1} s)",
                took.as_secs_f64()
            ),
            None => {
                let tests = &candidates[&(principal.logical_id.clone(), *index)];
                println!("SURVIVED  {label}: tried {tests:?}");
                survivors.push(label.clone());
            }
        }
    }
    if survivors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "no test fails without these statements: {survivors:?}; remove them, or add the test \
             that needs them"
        )
        .into())
    }
}

/// The test that failed without a statement, and how long it took; `None` if none did.
type Killed = Option<(String, std::time::Duration)>;

/// Runs the three smallest tests that used statement `index` of `principal`'s policy without
/// it, until one fails naming the function.
fn kill(binary: &Path, principal: &Principal, index: usize, tests: &[String]) -> Result<Killed> {
    for test in tests.iter().take(3) {
        let started = Instant::now();
        if fails_without(binary, principal, index, test)? {
            return Ok(Some((test.clone(), started.elapsed())));
        }
    }
    Ok(None)
}

/// The `api` integration test binary, as `scripts/test` built it (asking cargo for it with the
/// same `--workspace` selection also proves it is up to date, and rebuilds it if not).
fn api_test_binary() -> Result<PathBuf> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace_root())
        // `--workspace`, as scripts/test builds: `-p shop-tests` would resolve the features of that
        // package alone and rebuild half the dependency graph before the first mutant.
        .args([
            "test",
            "--quiet",
            "--workspace",
            "--test",
            "api",
            "--no-run",
        ])
        .arg("--message-format=json")
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "building the api tests failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "api"
                && message["executable"].is_string()
        })
        .and_then(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo named no api test binary".into())
}

/// Whether `test` fails, naming the function, when its policy lacks statement `index`.
fn fails_without(binary: &Path, principal: &Principal, index: usize, test: &str) -> Result<bool> {
    // Where and as `cargo test` runs it: in its package's folder.
    let package = workspace_root().join("tests");
    let output = Command::new(binary)
        .current_dir(&package)
        .env("CARGO_MANIFEST_DIR", &package)
        .args(["--quiet", "--exact", test])
        .env(
            WITHOUT_VARIABLE,
            format!("{}:{index}", principal.logical_id),
        )
        .env_remove(USAGE_DIR_VARIABLE)
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let named = text.contains(&format!("{} (", principal.logical_id)) && text.contains("refused");
    Ok(!output.status.success() && named)
}
