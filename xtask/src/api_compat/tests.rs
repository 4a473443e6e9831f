use serde_json::{Value, json};

use super::*;

/// A small spec: a public search and an answer with an extensible code.
fn spec(version: &str) -> Value {
    json!({
        "info": {"version": version, "description": "The API."},
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/things": {
                "get": {
                    "operationId": "listThings",
                    "security": [],
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}}
                    ],
                    "responses": {
                        "200": {"description": "Things", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Thing"}}}},
                        "400": {"description": "Bad", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}}}}
                    }
                },
                "post": {
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "responses": {"201": {"description": "Made"}}
                }
            }
        },
        "components": {"schemas": {
            "Thing": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "kind"],
                "properties": {
                    "name": {"type": "string", "maxLength": 40, "description": "Its name"},
                    "description": {"type": "string"},
                    "kind": {"type": "string", "enum": ["small", "large"]}
                }
            },
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string", "enum": ["bad"], "x-extensible": true}}
            }
        }}
    })
}

/// `spec("1.0.0")` changed by `change`, at `version`.
fn changed(version: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut spec = spec(version);
    change(&mut spec);
    contract(&spec)
}

fn broken(change: impl FnOnce(&mut Value)) -> Vec<String> {
    rules::incompatibilities(&contract(&spec("1.0.0")), &changed("1.0.0", change))
}

#[test]
fn documentation_is_not_contract() {
    let reworded = changed("1.0.0", |spec| {
        spec["components"]["schemas"]["Thing"]["properties"]["name"]["description"] =
            json!("Said otherwise");
        spec["paths"]["/api/things"]["get"]["summary"] = json!("A summary");
    });
    assert_eq!(
        standing(&contract(&spec("1.0.0")), &reworded).unwrap(),
        Standing::Recorded
    );
    // A field named `description` is contract, not documentation.
    assert!(
        contract(&spec("1.0.0"))["components"]["schemas"]["Thing"]["properties"]["description"]
            .is_object()
    );
}

#[test]
fn taking_away_or_narrowing_what_clients_send_is_incompatible() {
    assert_eq!(
        broken(|spec| spec["paths"]["/api/things"]["post"] = Value::Null).len(),
        1
    );
    let narrower = broken(|spec| {
        spec["components"]["schemas"]["Thing"]["properties"]["name"]["maxLength"] = json!(20);
    });
    assert!(
        narrower.iter().any(|b| b.contains("maxLength")),
        "{narrower:?}"
    );
    let required = broken(|spec| {
        spec["components"]["schemas"]["Thing"]["required"] = json!(["name", "kind", "description"]);
    });
    assert!(
        required
            .iter()
            .any(|b| b.contains("description is now required")),
        "{required:?}"
    );
    let parameter = broken(|spec| {
        spec["paths"]["/api/things"]["get"]["parameters"][0]["required"] = json!(true);
    });
    assert!(
        parameter.iter().any(|b| b.contains("q is now required")),
        "{parameter:?}"
    );
    let token = broken(|spec| {
        spec["paths"]["/api/things"]["get"]["security"] = json!([{"bearerAuth": []}])
    });
    assert!(
        token.iter().any(|b| b.contains("needs a token")),
        "{token:?}"
    );
}

#[test]
fn promising_less_or_answering_something_new_is_incompatible() {
    let optional =
        broken(|spec| spec["components"]["schemas"]["Thing"]["required"] = json!(["name"]));
    assert!(
        optional
            .iter()
            .any(|b| b.contains("kind is no longer always there")),
        "{optional:?}"
    );
    let new_kind = broken(|spec| {
        spec["components"]["schemas"]["Thing"]["properties"]["kind"]["enum"] =
            json!(["small", "large", "huge"]);
    });
    assert!(
        new_kind.iter().any(|b| b.contains("may now be \"huge\"")),
        "{new_kind:?}"
    );
    let gone = broken(|spec| spec["paths"]["/api/things"]["get"]["responses"]["200"] = Value::Null);
    assert!(
        gone.iter().any(|b| b.contains("200 was taken away")),
        "{gone:?}"
    );
}

#[test]
fn adding_is_compatible_and_needs_a_minor_version() {
    let added = |spec: &mut Value| {
        spec["paths"]["/api/things"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "sort", "in": "query", "schema": {"type": "string"}}));
        spec["components"]["schemas"]["Error"]["properties"]["error"]["enum"] =
            json!(["bad", "worse"]);
        spec["paths"]["/api/other"] =
            json!({"get": {"responses": {"200": {"description": "Yes"}}}});
    };
    let recorded = contract(&spec("1.0.0"));
    assert!(rules::incompatibilities(&recorded, &changed("1.0.0", added)).is_empty());
    let unbumped = standing(&recorded, &changed("1.0.0", added))
        .unwrap_err()
        .to_string();
    assert!(unbumped.contains("make info.version 1.1.0"), "{unbumped}");
    assert_eq!(
        standing(&recorded, &changed("1.1.0", added)).unwrap(),
        Standing::ToRecord {
            version: Version(1, 1, 0)
        }
    );
}

#[test]
fn an_incompatible_change_is_refused_whatever_the_version() {
    let recorded = contract(&spec("1.4.2"));
    let narrower = |spec: &mut Value| {
        spec["components"]["schemas"]["Thing"]["properties"]["kind"]["enum"] = json!(["small"]);
    };
    for version in ["1.4.2", "1.5.0"] {
        let refused = standing(&recorded, &changed(version, narrower))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("needs a version 2, served beside"),
            "{refused}"
        );
        assert!(
            refused.contains("\"large\" is no longer accepted"),
            "{refused}"
        );
    }
    let bumped = standing(&recorded, &changed("2.0.0", narrower))
        .unwrap_err()
        .to_string();
    assert!(bumped.contains("a document of its own"), "{bumped}");
    assert!(
        standing(&recorded, &contract(&spec("1.3.0"))).is_err(),
        "no going back"
    );
}

#[test]
fn a_patch_version_is_not_enough_for_a_new_contract() {
    let added = |spec: &mut Value| {
        spec["paths"]["/api/other"] =
            json!({"get": {"responses": {"200": {"description": "Yes"}}}});
    };
    let refused = standing(&contract(&spec("1.0.0")), &changed("1.0.1", added))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("make info.version 1.1.0"), "{refused}");
    // A patch version for a reworded description is fine, once recorded.
    assert_eq!(
        standing(&contract(&spec("1.0.0")), &contract(&spec("1.0.1"))).unwrap(),
        Standing::ToRecord {
            version: Version(1, 0, 1)
        }
    );
}

#[test]
fn widening_a_value_that_answers_carry_too_is_incompatible() {
    // `Thing` is both sent and answered: a longer name could break a client reading it.
    let longer = broken(|spec| {
        spec["components"]["schemas"]["Thing"]["properties"]["name"]["maxLength"] = json!(80);
    });
    assert!(
        longer
            .iter()
            .any(|b| b.contains("200 answer") && b.contains("maxLength")),
        "{longer:?}"
    );
    // The search text is only sent: a longer one is compatible.
    let search = broken(|spec| {
        spec["paths"]["/api/things"]["get"]["parameters"][0]["schema"]["maxLength"] = json!(400);
    });
    assert!(search.is_empty(), "{search:?}");
}
