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
#[allow(clippy::print_stdout)]
pub fn mutants(dir: &Path) -> Result<()> {
    let records = usage::read(dir)?;
    let principals = principals()?;
    let candidates = usage::candidates(&principals, &records);
    let mut survivors = Vec::new();
    for principal in &principals {
        for (index, statement) in principal.policy.statements.iter().enumerate() {
            let label = format!("{} {}", principal.logical_id, statement.origin);
            let tests = &candidates[&(principal.logical_id.clone(), index)];
            let mut killed = None;
            // The three smallest tests that used it; one must notice it gone.
            for test in tests.iter().take(3) {
                let started = Instant::now();
                if fails_without(principal, index, test)? {
                    killed = Some((test.clone(), started.elapsed()));
                    break;
                }
            }
            match killed {
                Some((test, took)) => println!(
                    "killed    {label}: {test} fails without it ({:.1} s)",
                    took.as_secs_f64()
                ),
                None => {
                    println!("SURVIVED  {label}: tried {tests:?}");
                    survivors.push(label);
                }
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

/// Whether `test` fails, naming the function, when its policy lacks statement `index`.
fn fails_without(principal: &Principal, index: usize, test: &str) -> Result<bool> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace_root())
        // `--workspace`, as scripts/test builds: `-p shop-tests` would resolve the features of that
        // package alone and rebuild half the dependency graph before the first mutant.
        .args(["test", "--quiet", "--workspace", "--test", "api", "--"])
        .args(["--exact", test])
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
