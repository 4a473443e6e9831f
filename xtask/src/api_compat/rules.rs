//! What makes a change incompatible: something a client written against the old contract does
//! that the new one refuses, or something the new one answers that the old one never promised.
//!
//! - Requests: an operation, parameter, request field or media type taken away; a parameter,
//!   body or field newly required; a type, format or pattern changed; a limit narrowed; an enum
//!   value taken away; `null` no longer accepted.
//! - Answers: a success status taken away; a field no longer always there; a type or format
//!   changed; a limit widened; an enum value added (unless the schema says `x-extensible: true`,
//!   as the error codes do: clients go by the HTTP status of a code they do not know); `null`
//!   newly possible.
//!
//! Adding operations, optional parameters and fields, answer fields and error statuses is
//! compatible: clients ignore fields and codes they do not know (the policy says so).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::openapi::is_public;

/// Which way a schema's values travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// From the client: the new schema must accept all the old one did.
    Request,
    /// To the client: the new schema must promise all the old one did.
    Answer,
}

/// The two contracts being compared, for following each one's `$ref`s.
struct Pair<'a> {
    old: &'a Value,
    new: &'a Value,
    found: Vec<String>,
    /// `$ref` pairs already compared, each way, so recursive schemas end.
    seen: BTreeSet<(String, String, bool)>,
}

/// Every incompatible change from `old` to `new` (contracts), in words.
pub(super) fn incompatibilities(old: &Value, new: &Value) -> Vec<String> {
    let mut pair = Pair {
        old,
        new,
        found: Vec::new(),
        seen: BTreeSet::new(),
    };
    pair.operations();
    pair.found
}

impl<'a> Pair<'a> {
    fn operations(&mut self) {
        let (old, new): (&'a Value, &'a Value) = (self.old, self.new);
        for (path, item) in old["paths"].as_object().into_iter().flatten() {
            for (method, old_op) in item.as_object().into_iter().flatten() {
                let at = format!("{} {path}", method.to_uppercase());
                let new_op = &new["paths"][path][method];
                if new_op.is_null() {
                    self.found.push(format!("{at} was taken away"));
                    continue;
                }
                self.security(old_op, new_op, &at);
                self.parameters(old_op, new_op, &at);
                self.body(old_op, new_op, &at);
                self.responses(old_op, new_op, &at);
            }
        }
    }

    fn security(&mut self, old_op: &Value, new_op: &Value, at: &str) {
        let public = |contract: &Value, op: &Value| is_public(op, &contract["security"]);
        if public(self.old, old_op) && !public(self.new, new_op) {
            self.found.push(format!("{at} now needs a token"));
        }
    }

    fn parameters(&mut self, old_op: &'a Value, new_op: &'a Value, at: &str) {
        let list = |contract: &'a Value, op: &'a Value| -> Vec<&'a Value> {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|parameter| resolve(contract, parameter))
                .collect()
        };
        let (old, new) = (list(self.old, old_op), list(self.new, new_op));
        let key = |p: &Value| {
            (
                p["in"].as_str().unwrap_or("").to_owned(),
                p["name"].as_str().unwrap_or("").to_owned(),
            )
        };
        for old_parameter in &old {
            let name = key(old_parameter);
            match new.iter().find(|p| key(p) == name) {
                None => self
                    .found
                    .push(format!("{at}: parameter {} was taken away", name.1)),
                Some(new_parameter) => {
                    if required(new_parameter) && !required(old_parameter) {
                        self.found
                            .push(format!("{at}: parameter {} is now required", name.1));
                    }
                    let at = format!("{at}: parameter {}", name.1);
                    self.schema(
                        &old_parameter["schema"],
                        &new_parameter["schema"],
                        Way::Request,
                        &at,
                    );
                }
            }
        }
        for new_parameter in new.iter().filter(|p| required(p)) {
            let name = key(new_parameter);
            if !old.iter().any(|p| key(p) == name) {
                self.found
                    .push(format!("{at}: new required parameter {}", name.1));
            }
        }
    }

    fn body(&mut self, old_op: &Value, new_op: &Value, at: &str) {
        let old = resolve(self.old, &old_op["requestBody"]);
        let new = resolve(self.new, &new_op["requestBody"]);
        if required(new) && !required(old) {
            self.found
                .push(format!("{at}: a request body is now required"));
        }
        for (media, content) in old["content"].as_object().into_iter().flatten() {
            let replaced = &new["content"][media];
            if replaced.is_null() {
                self.found
                    .push(format!("{at}: {media} bodies are no longer accepted"));
            } else {
                let at = format!("{at}: request body");
                self.schema(&content["schema"], &replaced["schema"], Way::Request, &at);
            }
        }
    }

    fn responses(&mut self, old_op: &Value, new_op: &Value, at: &str) {
        for (status, old) in old_op["responses"].as_object().into_iter().flatten() {
            let new = &new_op["responses"][status];
            if new.is_null() {
                if status.starts_with('2') {
                    self.found
                        .push(format!("{at}: status {status} was taken away"));
                }
                continue;
            }
            let (old, new) = (resolve(self.old, old), resolve(self.new, new));
            for (media, content) in old["content"].as_object().into_iter().flatten() {
                let replaced = &new["content"][media];
                let at = format!("{at}: {status} answer");
                if replaced.is_null() {
                    self.found.push(format!("{at} is no longer {media}"));
                } else {
                    self.schema(&content["schema"], &replaced["schema"], Way::Answer, &at);
                }
            }
        }
    }

    fn schema(&mut self, old: &Value, new: &Value, way: Way, at: &str) {
        if let (Some(o), Some(n)) = (old["$ref"].as_str(), new["$ref"].as_str())
            && !self
                .seen
                .insert((o.to_owned(), n.to_owned(), way == Way::Request))
        {
            return;
        }
        let (old, new) = (unwrap(self.old, old), unwrap(self.new, new));
        let (old, new) = (old.as_ref(), new.as_ref());
        let mut broken = |what: String| self.found.push(format!("{at}: {what}"));
        for key in ["type", "format"] {
            if old[key] != new[key] {
                broken(format!("{key} changed from {} to {}", old[key], new[key]));
            }
        }
        // A pattern taken off a request, or put on an answer, only narrows nothing or the answer.
        let loosened = match way {
            Way::Request => new["pattern"].is_null(),
            Way::Answer => old["pattern"].is_null(),
        };
        if old["pattern"] != new["pattern"] && !loosened {
            broken(format!(
                "pattern changed from {} to {}",
                old["pattern"], new["pattern"]
            ));
        }
        let nullable = |schema: &Value| schema["nullable"].as_bool() == Some(true);
        match way {
            Way::Request if nullable(old) && !nullable(new) => {
                broken("null is no longer accepted".into());
            }
            Way::Answer if nullable(new) && !nullable(old) => broken("may now be null".into()),
            _ => {}
        }
        // Requests: the new range must hold the old one. Answers: the old must hold the new.
        let (outer, inner) = match way {
            Way::Request => (new, old),
            Way::Answer => (old, new),
        };
        for (low, high) in [("minLength", "maxLength"), ("minimum", "maximum")] {
            let lowest = |schema: &Value| schema[low].as_f64().unwrap_or(f64::NEG_INFINITY);
            let highest = |schema: &Value| schema[high].as_f64().unwrap_or(f64::INFINITY);
            if lowest(outer) > lowest(inner) || highest(outer) < highest(inner) {
                let range = |schema: &Value| format!("{}..{}", schema[low], schema[high]);
                broken(format!(
                    "{low}..{high} went from {} to {}",
                    range(old),
                    range(new)
                ));
            }
        }
        let values = |schema: &Value| -> Option<BTreeSet<String>> {
            schema["enum"]
                .as_array()
                .map(|values| values.iter().map(Value::to_string).collect())
        };
        match (way, values(old), values(new)) {
            (Way::Request, Some(old_values), Some(new_values)) => {
                for value in old_values.difference(&new_values) {
                    broken(format!("{value} is no longer accepted"));
                }
            }
            (Way::Request, None, Some(_)) => broken("now limited to a list of values".into()),
            (Way::Answer, Some(old_values), Some(new_values))
                if new["x-extensible"] != Value::Bool(true) =>
            {
                for value in new_values.difference(&old_values) {
                    broken(format!("may now be {value}"));
                }
            }
            (Way::Answer, Some(_), None) => broken("no longer limited to a list of values".into()),
            _ => {}
        }
        self.fields(old, new, way, at);
        if old["items"].is_object() {
            self.schema(&old["items"], &new["items"], way, &format!("{at}[]"));
        }
        if old["additionalProperties"].is_object() && new["additionalProperties"].is_object() {
            self.schema(
                &old["additionalProperties"],
                &new["additionalProperties"],
                way,
                &format!("{at}.*"),
            );
        }
    }

    fn fields(&mut self, old: &Value, new: &Value, way: Way, at: &str) {
        let names = |schema: &Value| -> BTreeSet<String> {
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let (old_required, new_required) = (names(old), names(new));
        match way {
            Way::Request => {
                for field in new_required.difference(&old_required) {
                    self.found
                        .push(format!("{at}: field {field} is now required"));
                }
                if new["additionalProperties"] == Value::Bool(false) {
                    for field in old["properties"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(f, _)| f)
                    {
                        if new["properties"][field].is_null() {
                            self.found
                                .push(format!("{at}: field {field} is no longer accepted"));
                        }
                    }
                }
            }
            Way::Answer => {
                for field in old_required.difference(&new_required) {
                    self.found
                        .push(format!("{at}: field {field} is no longer always there"));
                }
            }
        }
        for (field, old_field) in old["properties"].as_object().into_iter().flatten() {
            let new_field = &new["properties"][field];
            if !new_field.is_null() {
                self.schema(old_field, new_field, way, &format!("{at}.{field}"));
            }
        }
    }
}

/// What `value`'s `$ref` points to in `contract`, or `value`.
fn resolve<'v>(contract: &'v Value, value: &'v Value) -> &'v Value {
    let Some(target) = value["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) else {
        return value;
    };
    target.split('/').fold(contract, |node, part| &node[part])
}

/// A schema with its `$ref`, or a lone `allOf` around one, followed (keeping `nullable`).
fn unwrap<'v>(contract: &'v Value, schema: &'v Value) -> std::borrow::Cow<'v, Value> {
    let resolved = resolve(contract, schema);
    match resolved["allOf"].as_array().map(Vec::as_slice) {
        Some([only]) => {
            let mut inner = resolve(contract, only).clone();
            if resolved["nullable"] == Value::Bool(true) {
                inner["nullable"] = Value::Bool(true);
            }
            std::borrow::Cow::Owned(inner)
        }
        _ => std::borrow::Cow::Borrowed(resolved),
    }
}

fn required(value: &Value) -> bool {
    value["required"] == Value::Bool(true)
}
