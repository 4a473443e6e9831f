//! `openapi.yaml` read as data, and what its rules mean, for the pieces that read it: the API's
//! page ([`crate::api_docs`]), the version check ([`crate::api_compat`]) and the contract tests.

use std::path::Path;

use serde_json::Value;

use crate::Result;

/// The workspace's `openapi.yaml`, as JSON values.
pub fn read(root: &Path) -> Result<Value> {
    Ok(serde_norway::from_str(&std::fs::read_to_string(
        root.join("openapi.yaml"),
    )?)?)
}

/// Whether `operation` is open to callers without a token: its own `security`, or else the
/// document's (`document_security`), lists no scheme, or an empty one (`{}`) among them.
pub fn is_public(operation: &Value, document_security: &Value) -> bool {
    operation
        .get("security")
        .unwrap_or(document_security)
        .as_array()
        .is_none_or(|schemes| {
            schemes.is_empty()
                || schemes
                    .iter()
                    .any(|scheme| scheme.as_object().is_some_and(serde_json::Map::is_empty))
        })
}
