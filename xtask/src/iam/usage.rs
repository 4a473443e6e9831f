//! What the functions used of their policies during a test run, and what that proves.
//!
//! Every gate writes each distinct decision it makes (which function, which action, which grants
//! allowed it, or what was refused) as a JSON line to a file in `SHOP_IAM_USAGE_DIR`, when that is
//! set (`scripts/test` sets it). Then:
//!
//! - `cargo xtask iam report [--check]` lists, per function, every grant of its policy and
//!   whether any test used it, and every refusal; `--check` fails on an unused grant or a refusal.
//! - `cargo xtask iam mutants` deletes each statement of each policy in turn and runs a test that
//!   used it: the test must then fail, naming the function. A statement whose removal no test
//!   notices is either not needed or not tested.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::Principal;
use super::policy::Decision;
use super::request::Check;
use crate::Result;

/// Where the usage logs go (one file per process).
pub const USAGE_DIR_VARIABLE: &str = "SHOP_IAM_USAGE_DIR";

/// One decision, as written to the log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Record {
    /// The test (or "local shop") the gate served.
    pub context: String,
    pub function: String,
    pub action: String,
    /// The resource, for refusals (an allowed call is described by its grants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub allowed: bool,
    /// `[statement, action pattern, resource pattern]` of every grant that allowed it.
    #[serde(default)]
    pub grants: Vec<[usize; 3]>,
}

/// Writes a gate's decisions, each distinct one once.
#[derive(Debug, Clone)]
pub struct Recorder {
    context: String,
    seen: Arc<Mutex<BTreeSet<Record>>>,
    on: bool,
}

/// This process's log file, opened on first use (or `None` when no directory is set).
fn log_file() -> Option<&'static Mutex<File>> {
    static FILE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = PathBuf::from(std::env::var_os(USAGE_DIR_VARIABLE)?);
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join(format!("{}.jsonl", std::process::id()));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(Mutex::new(file))
    })
    .as_ref()
}

impl Recorder {
    pub fn new(context: &str) -> Self {
        Self {
            context: context.to_owned(),
            seen: Arc::default(),
            on: true,
        }
    }

    /// A recorder that writes nothing.
    pub fn off(context: &str) -> Self {
        Self {
            on: false,
            ..Self::new(context)
        }
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    pub fn record(&self, principal: &Principal, check: &Check, decision: &Decision) {
        let Some(file) = log_file().filter(|_| self.on) else {
            return;
        };
        let record = Record {
            context: self.context.clone(),
            function: principal.logical_id.clone(),
            action: check.action.clone(),
            resource: (!decision.allowed()).then(|| check.resource.clone()),
            allowed: decision.allowed(),
            grants: match decision {
                Decision::Allowed(grants) => grants
                    .iter()
                    .map(|g| [g.statement, g.action, g.resource])
                    .collect(),
                _ => Vec::new(),
            },
        };
        let new = self
            .seen
            .lock()
            .is_ok_and(|mut seen| seen.insert(record.clone()));
        if !new {
            return;
        }
        if let (Ok(line), Ok(mut file)) = (serde_json::to_string(&record), file.lock()) {
            // One write per line, so lines from parallel tests never interleave.
            let _ignored = file.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// Every record in the logs under `dir`.
pub fn read(dir: &Path) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|err| format!("reading {}: {err} (run scripts/test first)", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "jsonl") {
            for line in std::fs::read_to_string(&path)?.lines() {
                records.push(serde_json::from_str(line)?);
            }
        }
    }
    records.sort();
    records.dedup();
    Ok(records)
}

/// One grant of a policy: a statement's action pattern on one of its resource patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantUse {
    pub statement: usize,
    pub origin: String,
    pub action: String,
    pub resource: String,
    /// The tests that used it.
    pub used_by: BTreeSet<String>,
}

/// The report for one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionUsage {
    pub logical_id: String,
    pub grants: Vec<GrantUse>,
    /// `(test, action, resource)` of every refusal.
    pub refusals: Vec<(String, String, String)>,
}

/// Per function of `principals`, its grants and who used them, and its refusals.
pub fn usage<'a>(
    principals: impl Iterator<Item = &'a Principal>,
    records: &[Record],
) -> Vec<FunctionUsage> {
    principals
        .map(|principal| {
            let mut grants = Vec::new();
            for (index, statement) in principal.policy.statements.iter().enumerate() {
                for (a, action) in statement.actions.patterns().iter().enumerate() {
                    for (r, resource) in statement.resources.patterns().iter().enumerate() {
                        let used_by = records
                            .iter()
                            .filter(|record| {
                                record.function == principal.logical_id
                                    && record.grants.contains(&[index, a, r])
                            })
                            .map(|record| record.context.clone())
                            .collect();
                        grants.push(GrantUse {
                            statement: index,
                            origin: statement.origin.clone(),
                            action: action.clone(),
                            resource: resource.clone(),
                            used_by,
                        });
                    }
                }
            }
            let refusals = records
                .iter()
                .filter(|record| record.function == principal.logical_id && !record.allowed)
                .map(|record| {
                    (
                        record.context.clone(),
                        record.action.clone(),
                        record.resource.clone().unwrap_or_default(),
                    )
                })
                .collect();
            FunctionUsage {
                logical_id: principal.logical_id.clone(),
                grants,
                refusals,
            }
        })
        .collect()
}

/// The report as text; and whether it is clean (every grant used, nothing refused).
pub fn render(report: &[FunctionUsage]) -> (String, bool) {
    let mut out = String::new();
    let mut clean = true;
    for function in report {
        out.push_str(&format!("{}\n", function.logical_id));
        if function.grants.is_empty() {
            out.push_str("  (no permissions)\n");
        }
        let mut origin = None;
        for grant in &function.grants {
            if origin != Some(&grant.origin) {
                out.push_str(&format!("  {}\n", grant.origin));
                origin = Some(&grant.origin);
            }
            let used = if grant.used_by.is_empty() {
                clean = false;
                "NEVER USED".to_owned()
            } else {
                format!("used by {} test(s)", grant.used_by.len())
            };
            out.push_str(&format!(
                "    {:<32} {:<72} {used}\n",
                grant.action, grant.resource
            ));
        }
        for (test, action, resource) in &function.refusals {
            clean = false;
            out.push_str(&format!("  REFUSED {action} on {resource} (in {test})\n"));
        }
    }
    (out, clean)
}

/// For each statement of each function, the tests that used it, smallest first (by how many
/// distinct calls the test made, a fair measure of how long it runs).
pub fn candidates(
    principals: &[Principal],
    records: &[Record],
) -> BTreeMap<(String, usize), Vec<String>> {
    let mut size: BTreeMap<&str, usize> = BTreeMap::new();
    for record in records {
        *size.entry(&record.context).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    for principal in principals {
        for index in 0..principal.policy.statements.len() {
            let mut tests: Vec<String> = records
                .iter()
                .filter(|record| {
                    record.function == principal.logical_id
                        && record.grants.iter().any(|grant| grant[0] == index)
                })
                .map(|record| record.context.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            tests.sort_by_key(|test| (size.get(test.as_str()).copied().unwrap_or(0), test.clone()));
            out.insert((principal.logical_id.clone(), index), tests);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{Effect, Patterns, Policy, Statement};

    fn principal() -> Principal {
        Principal {
            logical_id: "F".into(),
            function_name: "f".into(),
            policy: Policy {
                statements: vec![
                    Statement {
                        origin: "Policies[0].Statement[0]".into(),
                        effect: Effect::Allow,
                        actions: Patterns::Any(vec![
                            "dynamodb:GetItem".into(),
                            "dynamodb:PutItem".into(),
                        ]),
                        resources: Patterns::Any(vec!["arn:t".into()]),
                        conditions: Vec::new(),
                    },
                    Statement {
                        origin: "Policies[0].Statement[1]".into(),
                        effect: Effect::Allow,
                        actions: Patterns::Any(vec!["sqs:SendMessage".into()]),
                        resources: Patterns::Any(vec!["arn:q".into()]),
                        conditions: Vec::new(),
                    },
                ],
            },
        }
    }

    fn record(context: &str, action: &str, grants: Vec<[usize; 3]>) -> Record {
        Record {
            context: context.into(),
            function: "F".into(),
            action: action.into(),
            resource: None,
            allowed: true,
            grants,
        }
    }

    #[test]
    fn unused_grants_and_refusals_make_the_report_unclean() {
        let principal = principal();
        let records = vec![
            record("a", "dynamodb:GetItem", vec![[0, 0, 0]]),
            record("b", "dynamodb:GetItem", vec![[0, 0, 0]]),
            record("b", "sqs:SendMessage", vec![[1, 0, 0]]),
        ];
        let report = usage(std::iter::once(&principal), &records);
        let used: Vec<usize> = report[0].grants.iter().map(|g| g.used_by.len()).collect();
        assert_eq!(used, vec![2, 0, 1]);
        let (text, clean) = render(&report);
        assert!(!clean);
        assert!(
            text.contains("dynamodb:PutItem") && text.contains("NEVER USED"),
            "{text}"
        );

        let mut all = records.clone();
        all.push(record("c", "dynamodb:PutItem", vec![[0, 1, 0]]));
        assert!(render(&usage(std::iter::once(&principal), &all)).1);
        all.push(Record {
            allowed: false,
            resource: Some("arn:other".into()),
            grants: Vec::new(),
            ..record("c", "dynamodb:DeleteItem", Vec::new())
        });
        let (text, clean) = render(&usage(std::iter::once(&principal), &all));
        assert!(!clean);
        assert!(
            text.contains("REFUSED dynamodb:DeleteItem on arn:other (in c)"),
            "{text}"
        );
    }

    #[test]
    fn mutant_candidates_are_the_tests_that_used_the_statement_smallest_first() {
        let principal = principal();
        let records = vec![
            record("big", "dynamodb:GetItem", vec![[0, 0, 0]]),
            record("big", "dynamodb:PutItem", vec![[0, 1, 0]]),
            record("big", "sqs:SendMessage", vec![[1, 0, 0]]),
            record("small", "dynamodb:GetItem", vec![[0, 0, 0]]),
        ];
        let candidates = candidates(&[principal], &records);
        assert_eq!(candidates[&("F".to_owned(), 0)], vec!["small", "big"]);
        assert_eq!(candidates[&("F".to_owned(), 1)], vec!["big"]);
    }
}
