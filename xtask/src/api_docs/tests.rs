use super::*;
use crate::template::workspace_root;

fn page() -> String {
    render_workspace(&workspace_root()).unwrap()
}

fn spec() -> Value {
    crate::openapi::read(&workspace_root()).unwrap()
}

#[test]
fn every_route_schema_and_error_code_has_its_place() {
    let page = page();
    let spec = spec();
    for operation in operations(&spec).unwrap() {
        assert!(
            page.contains(&format!(r#"id="op-{}""#, operation.id)),
            "{}",
            operation.id
        );
    }
    for name in Schemas::of(&spec).names() {
        assert!(page.contains(&format!(r#"id="schema-{name}""#)), "{name}");
    }
    for code in shared::error::ErrorCode::ALL {
        assert!(
            page.contains(&format!(r#"id="error-{}""#, code.as_str())),
            "{code:?}"
        );
    }
    assert!(page.contains(r#"id="versioning""#));
    assert!(
        page.contains("Breaking changes"),
        "the policy is on the page"
    );
}

#[test]
fn every_operation_shows_an_example_answer_and_every_body_an_example_request() {
    let page = page();
    let articles: Vec<&str> = page
        .split(r#"<article class="operation""#)
        .skip(1)
        .collect();
    assert_eq!(articles.len(), operations(&spec()).unwrap().len());
    for article in articles {
        let article = article.split("</article>").next().unwrap();
        let examples = article.matches(r#"<pre class="example">"#).count();
        let wanted = usize::from(article.contains("<h4>Request body</h4>"))
            + usize::from(article.contains("<h4>Example answer"));
        assert_eq!(examples, wanted, "{}", &article[..200.min(article.len())]);
    }
}

#[test]
fn the_page_loads_nothing_from_elsewhere_and_runs_no_script() {
    let page = page();
    assert!(!page.contains("<script"), "no script");
    assert!(
        !page.contains(" style="),
        "no inline style (the CSP forbids it)"
    );
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in page.match_indices(attribute) {
            let target = &page[at + attribute.len()..];
            assert!(
                target.starts_with('/') || target.starts_with('#'),
                "{}",
                &target[..60.min(target.len())]
            );
        }
    }
}

#[test]
fn a_string_without_an_example_is_an_error() {
    let spec = serde_json::json!({
        "info": {"title": "T", "version": "1.0.0"},
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "X",
            "content": {"application/json": {"schema": {"type": "string", "pattern": "^a$"}}}}}}}},
    });
    let refused = render(&spec, "").unwrap_err().to_string();
    assert!(refused.contains("no example"), "{refused}");
}
