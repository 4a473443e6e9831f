//! The API's documentation as the shop serves it at `/docs`: one static page rendered from
//! `openapi.yaml`, with every route, schema, error code and an example of each request and
//! answer, and the versioning policy (`docs/api-versioning.md`).
//!
//! Rendered here, ahead of time, rather than by a browser-side renderer: the page is plain HTML
//! and one style sheet of ours, so it loads nothing from elsewhere, runs no script, and works
//! under the storefront's Content-Security-Policy (no inline style, Trusted Types) unchanged.
//! The renderer is this module, pinned with the repository.
//!
//! `cargo xtask api-docs` writes it to [`PAGE`]; a test holds that file to what this renders
//! from `openapi.yaml` as it is, so the page served can never be of an older contract.

pub(crate) mod html;
mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::Result;
use html::{esc, markdown, required_mark};
use schema::{Schemas, example_block};

/// Where the page is written, under the workspace.
pub const PAGE: &str = "web/docs/index.html";
/// The versioning policy, rendered into the page.
pub const POLICY: &str = "docs/api-versioning.md";

/// The HTTP methods an operation may have, in the order the page lists them.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Reads `openapi.yaml` and the policy under `root` and renders the page.
pub fn render_workspace(root: &Path) -> Result<String> {
    let spec = crate::openapi::read(root)?;
    let policy = std::fs::read_to_string(root.join(POLICY))?;
    render(&spec, &policy)
}

/// One operation of the spec, with where it is.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    id: &'a str,
    spec: &'a Value,
}

/// The page for `spec`, with `policy` (Markdown) as its versioning section.
pub fn render(spec: &Value, policy: &str) -> Result<String> {
    let schemas = Schemas::of(spec);
    let title = spec["info"]["title"].as_str().unwrap_or("API");
    let version = spec["info"]["version"]
        .as_str()
        .ok_or("info.version is missing")?;
    let operations = operations(spec)?;
    let tags = tags(spec, &operations);

    let mut nav = String::new();
    let mut body = String::new();
    nav.push_str(r##"<li><a href="#overview">Overview</a></li>"##);
    write!(body, r#"<section id="overview"><h2>Overview</h2>"#)?;
    body.push_str(&markdown(
        spec["info"]["description"].as_str().unwrap_or(""),
    ));
    authentication(spec, &mut body)?;
    body.push_str("</section>");

    for (tag, description) in &tags {
        let anchor = format!("tag-{}", slug(tag));
        write!(nav, r##"<li><a href="#{anchor}">{}</a><ul>"##, esc(tag))?;
        write!(body, r#"<section id="{anchor}"><h2>{}</h2>"#, esc(tag))?;
        body.push_str(&markdown(description));
        for operation in operations.iter().filter(|op| tag_of(op) == *tag) {
            write!(
                nav,
                r##"<li><a href="#op-{id}"><span class="method {method}">{upper}</span> {path}</a></li>"##,
                id = esc(operation.id),
                method = operation.method,
                upper = operation.method.to_uppercase(),
                path = esc(operation.path),
            )?;
            render_operation(operation, spec, &schemas, &mut body)?;
        }
        nav.push_str("</ul></li>");
        body.push_str("</section>");
    }

    nav.push_str(r##"<li><a href="#errors">Error codes</a></li>"##);
    errors(spec, &operations, &mut body)?;
    nav.push_str(r##"<li><a href="#schemas">Schemas</a></li>"##);
    write!(body, r#"<section id="schemas"><h2>Schemas</h2>"#)?;
    for name in schemas.names() {
        schemas.render(name, &mut body)?;
    }
    body.push_str("</section>");
    nav.push_str(r##"<li><a href="#versioning">Versions</a></li>"##);
    write!(body, r#"<section id="versioning">"#)?;
    body.push_str(&markdown(policy));
    body.push_str("</section>");

    Ok(format!(
        r#"<!doctype html>
<!-- Rendered from openapi.yaml by `cargo xtask api-docs`; do not edit. -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API {version}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/theme.css">
<link rel="stylesheet" href="/docs/docs.css">
</head>
<body>
<header><a href="/">← The shop</a><h1>{title} API <span class="version">{version}</span></h1></header>
<div class="layout">
<nav aria-label="Contents"><ul>{nav}</ul></nav>
<main>{body}</main>
</div>
</body>
</html>
"#,
        title = esc(title),
        version = esc(version),
    ))
}

/// Every operation, in the order of the spec's paths and [`METHODS`].
fn operations(spec: &Value) -> Result<Vec<Operation<'_>>> {
    let mut found = Vec::new();
    let paths = spec["paths"]
        .as_object()
        .ok_or("openapi.yaml has no paths")?;
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"]
                .as_str()
                .ok_or_else(|| format!("{method} {path} has no operationId"))?;
            found.push(Operation {
                method,
                path,
                id,
                spec: op,
            });
        }
    }
    Ok(found)
}

fn tag_of<'a>(operation: &Operation<'a>) -> &'a str {
    operation.spec["tags"][0].as_str().unwrap_or("Other")
}

/// The tags in the spec's order with their descriptions, then any an operation names without
/// declaring.
fn tags<'a>(spec: &'a Value, operations: &[Operation<'a>]) -> Vec<(&'a str, &'a str)> {
    let mut tags: Vec<(&str, &str)> = spec["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            Some((
                tag["name"].as_str()?,
                tag["description"].as_str().unwrap_or(""),
            ))
        })
        .collect();
    for operation in operations {
        let tag = tag_of(operation);
        if !tags.iter().any(|(name, _)| *name == tag) {
            tags.push((tag, ""));
        }
    }
    tags
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn authentication(spec: &Value, out: &mut String) -> Result<()> {
    out.push_str(r#"<h3 id="authentication">Authentication</h3><dl>"#);
    for (name, scheme) in spec["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
    {
        write!(
            out,
            "<dt><code>{}</code>: {} {}</dt><dd>{}</dd>",
            esc(name),
            esc(scheme["type"].as_str().unwrap_or("")),
            esc(scheme["scheme"].as_str().unwrap_or("")),
            markdown(scheme["description"].as_str().unwrap_or("")),
        )?;
    }
    out.push_str("</dl>");
    Ok(())
}

fn render_operation(
    operation: &Operation<'_>,
    spec: &Value,
    schemas: &Schemas<'_>,
    out: &mut String,
) -> Result<()> {
    let op = operation.spec;
    write!(
        out,
        r#"<article class="operation" id="op-{id}"><h3><span class="method {method}">{upper}</span> <code>{path}</code></h3><p class="summary">{summary}</p>"#,
        id = esc(operation.id),
        method = operation.method,
        upper = operation.method.to_uppercase(),
        path = esc(operation.path),
        summary = esc(op["summary"].as_str().unwrap_or("")),
    )?;
    let access = if crate::openapi::is_public(op, &spec["security"]) {
        "Public: no token needed"
    } else {
        "Needs a token (<code>Authorization: Bearer …</code>)"
    };
    write!(
        out,
        r#"<p class="access">{access} · <code>{}</code></p>"#,
        esc(operation.id)
    )?;
    out.push_str(&markdown(op["description"].as_str().unwrap_or("")));

    let parameters: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
    if !parameters.is_empty() {
        out.push_str("<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Schema</th><th>Description</th></tr></thead><tbody>");
        for parameter in parameters {
            let parameter = schemas.resolve(parameter);
            let required = required_mark(parameter["required"].as_bool() == Some(true));
            write!(
                out,
                "<tr><td><code>{}</code>{required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(parameter["name"].as_str().unwrap_or("")),
                esc(parameter["in"].as_str().unwrap_or("")),
                schemas.summary(&parameter["schema"]),
                markdown(parameter["description"].as_str().unwrap_or("")),
            )?;
        }
        out.push_str("</tbody></table>");
    }

    if let Some(body) = op.get("requestBody").map(|body| schemas.resolve(body)) {
        out.push_str("<h4>Request body</h4>");
        for (media, content) in body["content"].as_object().into_iter().flatten() {
            write!(
                out,
                "<p><code>{}</code>: {}</p>",
                esc(media),
                schemas.summary(&content["schema"])
            )?;
        }
        if let Some((_, content)) = body["content"].as_object().and_then(|c| c.iter().next()) {
            example_block(&content["schema"], schemas, out)?;
        }
    }

    out.push_str("<h4>Responses</h4><table><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>");
    let mut success = None;
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let response = schemas.resolve(response);
        let schema = response["content"]
            .as_object()
            .and_then(|content| content.values().next())
            .map(|content| &content["schema"]);
        if success.is_none() && status.starts_with('2') {
            success = schema.map(|schema| (status, schema));
        }
        let mut description = markdown(response["description"].as_str().unwrap_or(""));
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = schemas.resolve(header);
            let said = markdown(header["description"].as_str().unwrap_or(""));
            let said = said
                .trim()
                .trim_start_matches("<p>")
                .trim_end_matches("</p>");
            let sep = if said.is_empty() { "" } else { ": " };
            write!(
                description,
                "<p>Header <code>{}</code>{sep}{said}</p>",
                esc(name)
            )?;
        }
        write!(
            out,
            r#"<tr><td class="status s{}">{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&status[..1]),
            esc(status),
            description,
            schema
                .map(|schema| schemas.summary(schema))
                .unwrap_or_default(),
        )?;
    }
    out.push_str("</tbody></table>");
    if let Some((status, schema)) = success {
        write!(out, "<h4>Example answer ({})</h4>", esc(status))?;
        example_block(schema, schemas, out)?;
    }
    out.push_str("</article>");
    Ok(())
}

/// The error codes with their HTTP status (from the shared table every function answers by)
/// and the operations whose responses name them.
fn errors(spec: &Value, operations: &[Operation<'_>], out: &mut String) -> Result<()> {
    let codes: Vec<&str> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .ok_or("openapi.yaml has no ErrorCode enum")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut named_by: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for operation in operations {
        let text = serde_json::to_string(&operation.spec["responses"])?;
        for code in &codes {
            if text.contains(&format!("`{code}`")) {
                named_by
                    .entry(code)
                    .or_default()
                    .insert((operation.path, operation.method));
            }
        }
    }
    out.push_str(r#"<section id="errors"><h2>Error codes</h2>"#);
    out.push_str(&markdown(
        spec["components"]["schemas"]["ErrorCode"]["description"]
            .as_str()
            .unwrap_or(""),
    ));
    out.push_str(
        "<table><thead><tr><th>Code</th><th>Status</th><th>Named by</th></tr></thead><tbody>",
    );
    for code in &codes {
        let status = shared::error::ErrorCode::ALL
            .iter()
            .find(|known| known.as_str() == *code)
            .ok_or_else(|| format!("openapi.yaml lists {code}, which no function answers"))?
            .status();
        let routes: Vec<String> = named_by
            .get(code)
            .into_iter()
            .flatten()
            .map(|(path, method)| format!("<code>{} {}</code>", method.to_uppercase(), esc(path)))
            .collect();
        write!(
            out,
            r#"<tr id="error-{code}"><td><code>{code}</code></td><td>{}</td><td>{}</td></tr>"#,
            status.as_u16(),
            routes.join(", "),
            code = esc(code),
        )?;
    }
    out.push_str("</tbody></table></section>");
    Ok(())
}

#[cfg(test)]
mod tests;
