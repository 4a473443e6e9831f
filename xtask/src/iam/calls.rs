//! Every call each function makes through the gate, counted: what the capacity model's API
//! test (`tests/api/capacity.rs`) holds `xtask::capacity::work` to.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::request::Check;

/// One permission a call needed: a transaction's items are one each, under the call's operation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    /// The caller's logical id.
    pub function: String,
    /// The API operation (`TransactWriteItems`), or the first permission's action where the
    /// request names none (SES's and S3's REST APIs).
    pub operation: String,
    /// The action the permission is for (`dynamodb:PutItem`).
    pub action: String,
    pub resource: String,
}

/// What the gate let through, so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Each permission a call needed (a transaction of three items needs three).
    pub permissions: BTreeMap<Call, u64>,
    /// Requests, by function (logical id) and operation: a SES `SendEmail` needs a permission
    /// for its sender and each recipient, but is one e-mail.
    pub requests: BTreeMap<(String, String), u64>,
}

/// The counts, shared by every clone of a gate.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<Counts>>);

impl Calls {
    pub(super) fn add(&self, function: &str, operation: Option<&str>, checks: &[Check]) {
        let Some(first) = checks.first() else {
            return;
        };
        let operation = operation.unwrap_or(&first.action);
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *counts
            .requests
            .entry((function.to_owned(), operation.to_owned()))
            .or_default() += 1;
        for check in checks {
            let call = Call {
                function: function.to_owned(),
                operation: operation.to_owned(),
                action: check.action.clone(),
                resource: check.resource.clone(),
            };
            *counts.permissions.entry(call).or_default() += 1;
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Counts {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
