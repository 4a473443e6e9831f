//! What the template's references mean locally: the names of the tables, queues, buckets and
//! functions the local shop created, and the values of its parameters and secrets.
//!
//! Every environment variable a function gets is resolved from the template through this map; a
//! reference it cannot resolve is an error, so the local shop cannot quietly drift from the
//! template.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Result;
use crate::template::{Function, Template};

/// Local values by logical id.
#[derive(Debug, Clone, Default)]
pub struct LocalNames {
    /// `!Ref` of a resource or parameter: table names, queue URLs, bucket names, function names,
    /// parameter values.
    pub refs: BTreeMap<String, String>,
    /// `{{resolve:secretsmanager:${Secret}:...}}`: the local value of each secret.
    pub secrets: BTreeMap<String, String>,
}

impl LocalNames {
    /// The environment the function runs with, every value resolved.
    pub fn environment(&self, function: &Function) -> Result<Vec<(String, String)>> {
        function
            .environment
            .iter()
            .map(|(name, value)| {
                let resolved = self.resolve(value).ok_or_else(|| {
                    format!(
                        "{}: cannot resolve {name} = {value} locally",
                        function.logical_id
                    )
                })?;
                Ok((name.clone(), resolved))
            })
            .collect()
    }

    fn resolve(&self, value: &Value) -> Option<String> {
        if let Some(text) = value.as_str() {
            return Some(text.to_owned());
        }
        if let Some(id) = value["Ref"].as_str() {
            return self.refs.get(id).cloned();
        }
        let sub = value["Fn::Sub"].as_str()?;
        // The one form of !Sub the template uses in environments: a Secrets Manager reference.
        let secret = sub
            .strip_prefix("{{resolve:secretsmanager:${")?
            .split_once('}')?
            .0;
        self.secrets.get(secret).cloned()
    }
}

/// The function names the template's `!Ref <Function>` stands for locally: binary names, which
/// is also what `cargo lambda invoke` calls them.
pub fn function_refs(template: &Template) -> Result<BTreeMap<String, String>> {
    Ok(template
        .functions()?
        .into_iter()
        .map(|function| (function.logical_id, function.binary))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_or_fail_loudly() {
        let names = LocalNames {
            refs: BTreeMap::from([("UsersTable".to_owned(), "shop-UsersTable".to_owned())]),
            secrets: BTreeMap::from([("TokenSecret".to_owned(), "s3cret".to_owned())]),
        };
        let function = Function {
            logical_id: "F".into(),
            binary: "f".into(),
            memory_size: None,
            timeout: None,
            environment: BTreeMap::from([
                ("TABLE".to_owned(), json!({"Ref": "UsersTable"})),
                ("PLAIN".to_owned(), json!("x")),
                (
                    "SECRET".to_owned(),
                    json!({"Fn::Sub": "{{resolve:secretsmanager:${TokenSecret}:SecretString}}"}),
                ),
            ]),
            routes: Vec::new(),
            queue_triggers: Vec::new(),
        };
        let environment = names.environment(&function).unwrap();
        assert_eq!(
            environment,
            vec![
                ("PLAIN".to_owned(), "x".to_owned()),
                ("SECRET".to_owned(), "s3cret".to_owned()),
                ("TABLE".to_owned(), "shop-UsersTable".to_owned()),
            ]
        );
        let mut unknown = function;
        unknown
            .environment
            .insert("QUEUE".to_owned(), json!({"Ref": "Nowhere"}));
        assert!(names.environment(&unknown).is_err());
    }
}
