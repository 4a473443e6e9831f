//! The spec's schemas on the page: each named one in full, a short form (with links) wherever
//! one is used, and an example value made from the schema itself, so an example cannot disagree
//! with the schema it illustrates.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::html::{esc, markdown, required_mark};
use crate::Result;

/// The spec's `components`, for following `$ref`s.
pub(crate) struct Schemas<'a> {
    components: &'a Value,
}

/// How deep an example nests before it stops (a schema that contains itself).
const MAX_DEPTH: usize = 8;

impl<'a> Schemas<'a> {
    pub(crate) fn of(spec: &'a Value) -> Self {
        Self {
            components: &spec["components"],
        }
    }

    /// The named schemas, in the spec's order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'a str> {
        self.components["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| name.as_str())
    }

    /// `value`, or what its `$ref` points to (`#/components/<kind>/<name>`).
    pub(crate) fn resolve<'v>(&self, value: &'v Value) -> &'v Value
    where
        'a: 'v,
    {
        match ref_name(value) {
            Some((kind, name)) => &self.components[kind][name],
            None => value,
        }
    }

    /// A short HTML description of `schema`: a link for a named one, else its type and limits.
    pub(crate) fn summary(&self, schema: &Value) -> String {
        if let Some((_, name)) = ref_name(schema) {
            return format!(r##"<a href="#schema-{0}">{0}</a>"##, esc(name));
        }
        let nullable = if schema["nullable"].as_bool() == Some(true) {
            " or null"
        } else {
            ""
        };
        if let Some([only]) = schema["allOf"].as_array().map(Vec::as_slice) {
            return format!("{}{nullable}", self.summary(only));
        }
        let kind = schema["type"].as_str().unwrap_or("any");
        let mut text = match kind {
            "array" => format!("array of {}", self.summary(&schema["items"])),
            "object" if schema["additionalProperties"].is_object() => {
                format!("map of {}", self.summary(&schema["additionalProperties"]))
            }
            kind => esc(kind),
        };
        if let Some(format) = schema["format"].as_str() {
            write!(text, " ({})", esc(format)).unwrap_or_default();
        }
        let limits = limits(schema);
        if !limits.is_empty() {
            write!(
                text,
                r#" <span class="limits">{}</span>"#,
                limits.join(", ")
            )
            .unwrap_or_default();
        }
        text.push_str(nullable);
        text
    }

    /// The named schema `name` in full.
    pub(crate) fn render(&self, name: &str, out: &mut String) -> Result<()> {
        let schema = &self.components["schemas"][name];
        write!(
            out,
            r#"<article class="schema" id="schema-{0}"><h3>{0}</h3>"#,
            esc(name)
        )?;
        out.push_str(&markdown(schema["description"].as_str().unwrap_or("")));
        if let Some(properties) = schema["properties"].as_object() {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            out.push_str("<table><thead><tr><th>Field</th><th>Schema</th><th>Description</th></tr></thead><tbody>");
            for (field, property) in properties {
                let mark = required_mark(required.contains(&field.as_str()));
                write!(
                    out,
                    "<tr><td><code>{}</code>{mark}</td><td>{}</td><td>{}</td></tr>",
                    esc(field),
                    self.summary(property),
                    markdown(property["description"].as_str().unwrap_or("")),
                )?;
            }
            out.push_str("</tbody></table>");
            if schema["additionalProperties"] == Value::Bool(false) {
                out.push_str(
                    r#"<p class="note">No other fields: a request with one is refused.</p>"#,
                );
            }
        } else {
            write!(out, "<p>{}</p>", self.summary_inline(schema))?;
        }
        example_block(schema, self, out)?;
        out.push_str("</article>");
        Ok(())
    }

    /// As [`Self::summary`], for a named schema's own definition (not a link to itself).
    fn summary_inline(&self, schema: &Value) -> String {
        let mut text = self.summary(schema);
        if let Some(pattern) = schema["pattern"].as_str() {
            write!(
                text,
                r#"; matches <code class="pattern">{}</code>"#,
                esc(pattern)
            )
            .unwrap_or_default();
        }
        text
    }
}

/// `(kind, name)` of a `$ref` to `#/components/<kind>/<name>`.
fn ref_name(value: &Value) -> Option<(&str, &str)> {
    let target = value["$ref"].as_str()?.strip_prefix("#/components/")?;
    target.split_once('/')
}

/// A schema's limits in words: lengths, ranges, the values of an enum.
fn limits(schema: &Value) -> Vec<String> {
    let mut limits = Vec::new();
    let number = |key: &str| {
        schema[key]
            .as_i64()
            .or_else(|| schema[key].as_f64().map(|f| f as i64))
    };
    match (number("minLength"), number("maxLength")) {
        (Some(min), Some(max)) => limits.push(format!("{min}–{max} characters")),
        (Some(min), None) => limits.push(format!("at least {min} characters")),
        (None, Some(max)) => limits.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    match (number("minimum"), number("maximum")) {
        (Some(min), Some(max)) => limits.push(format!("{min} to {max}")),
        (Some(min), None) => limits.push(format!("at least {min}")),
        (None, Some(max)) => limits.push(format!("at most {max}")),
        (None, None) => {}
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|value| format!("<code>{}</code>", esc(&value.to_string())))
            .collect();
        limits.push(format!("one of {}", values.join(", ")));
    }
    limits
}

/// An example of `schema`, as a block of pretty-printed JSON.
pub(crate) fn example_block(schema: &Value, schemas: &Schemas<'_>, out: &mut String) -> Result<()> {
    write!(
        out,
        r#"<pre class="example"><code>{}</code></pre>"#,
        esc(&serde_json::to_string_pretty(&example(schema, schemas)?)?)
    )?;
    Ok(())
}

/// An example of `schema`: its own `example` where it has one, else one made from its type,
/// format, limits and fields. A string with neither an example nor a known format is an error:
/// a made-up one would not show what the field holds, nor match its pattern.
pub(crate) fn example(schema: &Value, schemas: &Schemas<'_>) -> Result<Value> {
    example_at(schema, schemas, 0, "the schema")
}

fn example_at(schema: &Value, schemas: &Schemas<'_>, depth: usize, at: &str) -> Result<Value> {
    if let Some(example) = schema.get("example") {
        return Ok(example.clone());
    }
    if let Some((_, name)) = ref_name(schema) {
        return example_at(schemas.resolve(schema), schemas, depth, name);
    }
    if let Some(only) = schema["allOf"].as_array().and_then(|all| all.first()) {
        return example_at(only, schemas, depth, at);
    }
    if depth > MAX_DEPTH {
        return Ok(Value::Null);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return Ok(first.clone());
    }
    let minimum = schema["minimum"].as_i64().unwrap_or(1);
    Ok(match schema["type"].as_str() {
        Some("object") => {
            let mut object = Map::new();
            for (field, property) in schema["properties"].as_object().into_iter().flatten() {
                let at = format!("{at}.{field}");
                object.insert(
                    field.clone(),
                    example_at(property, schemas, depth + 1, &at)?,
                );
            }
            if let Some(values) = schema["additionalProperties"].as_object() {
                let value = example_at(&Value::Object(values.clone()), schemas, depth + 1, at)?;
                object.insert("field".into(), value);
            }
            Value::Object(object)
        }
        Some("array") => json!([example_at(&schema["items"], schemas, depth + 1, at)?]),
        Some("integer") => json!(
            schema["maximum"]
                .as_i64()
                .map_or(minimum, |max| minimum.min(max))
        ),
        Some("number") => json!(minimum),
        Some("boolean") => json!(true),
        // Only a format says what a string looks like; otherwise the spec must show it.
        Some("string") => match (schema["format"].as_str(), schema.get("pattern")) {
            (Some("date-time"), None) => json!("2026-11-26T09:30:00Z"),
            (Some("date"), None) => json!("2026-11-26"),
            (Some("email"), None) => json!("ada@example.com"),
            (Some("password"), None) => json!("correct horse battery staple"),
            (Some("binary"), None) => json!("(the file's bytes)"),
            _ => return Err(format!("{at} is a string with no example: add one").into()),
        },
        _ => Value::Null,
    })
}
