//! Holding `openapi.yaml` to its version: the contract it promised at its last recorded version
//! is kept in [`LOCK`]; a compatible change to it needs a new minor `info.version`, and an
//! incompatible one is refused (the rules are in `docs/api-versioning.md`).
//!
//! A breaking change is refused whatever the version says: a new major version is served beside
//! this one, in a document of its own. The contract is the spec without what only documents it
//! (descriptions, examples, tags), so rewording a description needs no new version.
//! `cargo xtask api-lock` records the contract once its version is right; a test fails while
//! `openapi.yaml` and [`LOCK`] disagree.

mod rules;

use std::path::Path;

use serde_json::{Map, Value};

use crate::Result;

/// The contract as of the last recorded version, under the workspace.
pub const LOCK: &str = "docs/api-contract.json";

/// Keys that only document: they never change what a client may send or receive.
const DOCUMENTATION: [&str; 9] = [
    "description",
    "summary",
    "example",
    "examples",
    "tags",
    "links",
    "externalDocs",
    "title",
    "operationId",
];

/// The contract of `spec`: its version, paths and components, without documentation.
pub fn contract(spec: &Value) -> Value {
    let mut contract = Map::new();
    contract.insert("version".into(), spec["info"]["version"].clone());
    contract.insert("security".into(), strip(&spec["security"]));
    contract.insert("paths".into(), strip(&spec["paths"]));
    contract.insert("components".into(), strip(&spec["components"]));
    Value::Object(contract)
}

/// Keys whose value is a map by name (a field called `description` is not documentation).
const NAMED: [&str; 9] = [
    "paths",
    "properties",
    "schemas",
    "responses",
    "content",
    "securitySchemes",
    "requestBodies",
    "parameters",
    "headers",
];

fn strip(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(key, _)| !DOCUMENTATION.contains(&key.as_str()))
                .map(|(key, value)| {
                    let value = match value {
                        Value::Object(named) if NAMED.contains(&key.as_str()) => Value::Object(
                            named
                                .iter()
                                .map(|(name, value)| (name.clone(), strip(value)))
                                .collect(),
                        ),
                        value => strip(value),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
        other => other.clone(),
    }
}

/// A version as `MAJOR.MINOR.PATCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u64, u64, u64);

impl Version {
    pub fn parse(text: &str) -> Result<Self> {
        let parts: Vec<u64> = text
            .split('.')
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| format!("version {text:?} is not MAJOR.MINOR.PATCH"))?;
        match parts[..] {
            [major, minor, patch] => Ok(Self(major, minor, patch)),
            _ => Err(format!("version {text:?} is not MAJOR.MINOR.PATCH").into()),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Where `openapi.yaml` stands against the recorded contract.
#[derive(Debug, PartialEq, Eq)]
pub enum Standing {
    /// The contract is the one recorded.
    Recorded,
    /// Changed, with a version that allows the change: record it (`cargo xtask api-lock`).
    ToRecord { version: Version },
}

/// Checks the contract `now` against the one `recorded`: an error says what changed and which
/// version it needs.
pub fn standing(recorded: &Value, now: &Value) -> Result<Standing> {
    if recorded == now {
        return Ok(Standing::Recorded);
    }
    let was = Version::parse(recorded["version"].as_str().unwrap_or_default())?;
    let is = Version::parse(now["version"].as_str().unwrap_or_default())?;
    let broken = rules::incompatibilities(recorded, now);
    if !broken.is_empty() {
        // A new major version is served beside this one, so this document never breaks.
        let needed = if is.0 > was.0 {
            format!(
                "version {} is served beside version {}, not in its place: keep openapi.yaml \
                 at {was} and describe {} in a document of its own",
                is.0, was.0, is.0
            )
        } else {
            format!("that needs a version {}, served beside this one", was.0 + 1)
        };
        return Err(format!(
            "openapi.yaml changed incompatibly since {was}: {needed} (docs/api-versioning.md). \
             Or undo:\n  - {}",
            broken.join("\n  - ")
        )
        .into());
    }
    let mut without_version = (recorded.clone(), now.clone());
    without_version.0["version"] = Value::Null;
    without_version.1["version"] = Value::Null;
    let minor_or_more = is.0 > was.0 || (is.0 == was.0 && is.1 > was.1);
    if without_version.0 != without_version.1 && !minor_or_more {
        return Err(format!(
            "openapi.yaml's contract changed compatibly since {was}: make info.version {}.{}.0",
            was.0,
            was.1 + 1
        )
        .into());
    }
    if is < was {
        return Err(format!("info.version {is} is older than the recorded {was}").into());
    }
    Ok(Standing::ToRecord { version: is })
}

/// Reads `openapi.yaml` and [`LOCK`] under `root`: the recorded contract and the current one.
pub fn read_workspace(root: &Path) -> Result<(Value, Value)> {
    let spec = crate::openapi::read(root)?;
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(root.join(LOCK))?)?;
    Ok((recorded, contract(&spec)))
}

/// `cargo xtask api-lock`: records the current contract, if its version allows the change.
pub fn record(root: &Path) -> Result<String> {
    if !root.join(LOCK).exists() {
        let spec = crate::openapi::read(root)?;
        std::fs::write(
            root.join(LOCK),
            serde_json::to_string_pretty(&contract(&spec))? + "\n",
        )?;
        return Ok(format!("recorded the first contract in {LOCK}"));
    }
    let (recorded, now) = read_workspace(root)?;
    match standing(&recorded, &now)? {
        Standing::Recorded => Ok("the contract is already recorded".into()),
        Standing::ToRecord { version } => {
            std::fs::write(root.join(LOCK), serde_json::to_string_pretty(&now)? + "\n")?;
            Ok(format!(
                "recorded the contract of version {version} in {LOCK}"
            ))
        }
    }
}

#[cfg(test)]
mod tests;
