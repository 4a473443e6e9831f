//! HTTP in and out of a Lambda function: errors become JSON responses, bodies become typed requests.
//!
//! Every failure a client can see goes through [`ApiError`], so every service answers errors in one
//! shape: `{"error": "<code>", "message": "<text>"}`, plus `"fields"` naming each invalid field when
//! a request fails validation. A handler returns `Result<Response<Body>, ApiError>`; [`serve`] turns
//! the error side into a response, because an `Err` reaching the Lambda runtime would become a bare
//! 500 from API Gateway.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Request bodies larger than this are refused with 413 before they are parsed. Every request the
/// shop accepts is a small form; nothing legitimate comes close.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub use crate::error::{ApiError, ErrorCode, FieldErrors, HttpError, INTERNAL_ERROR_MESSAGE};
use crate::journey::{self, Journey};
use crate::metrics::{self, Metric};

impl ApiError {
    pub fn into_response(self) -> Response<Body> {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
            message: &'a str,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            fields: &'a BTreeMap<String, String>,
        }
        let mut response = json(
            self.status(),
            &ErrorBody {
                error: self.code().as_str(),
                message: self.message(),
                fields: self.fields(),
            },
        );
        if self.status() == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    // Serialising our own response types cannot fail: they hold strings, numbers and maps with
    // string keys only.
    let text = serde_json::to_string(body).unwrap_or_else(|_| String::from("{}"));
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A 204 with no body.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The handler's answer as the client will see it.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}

/// Runs `handler` as this process's Lambda function until the runtime shuts it down: each
/// request in its own journey, its metrics written when it is answered.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send,
{
    lambda_http::run(service_fn(|request: Request| {
        let (id, route) = request_ids(&request);
        let journey = Journey::of_request(id);
        // Boxed: a handler's future is large in a debug build, and nested in the journey's,
        // the metrics' and the runtime's it outgrew the main thread's stack (log-in did).
        let answer = Box::pin(handler(request));
        // The error's line in the journey too, where the order-journey query looks.
        let answered = journey::within(journey, async move {
            let answer = answer.await;
            if let Err(err) = &answer {
                let code = err.code().as_str();
                metrics::record(Metric::Errors {
                    route: &route,
                    code,
                });
                tracing::info!(
                    route,
                    status = err.status().as_u16(),
                    code,
                    "answered with an error"
                );
            }
            answer
        });
        metrics::collecting(async move { Ok::<_, Infallible>(respond(answered.await)) })
    }))
    .await
}

/// API Gateway's id for the request, which starts its journey, and the route it matched (`none`
/// for a request without one, never from API Gateway).
fn request_ids(request: &Request) -> (Option<String>, String) {
    let context = request
        .request_context_ref()
        .and_then(|context| match context {
            RequestContext::ApiGatewayV2(context) => Some(context),
            _ => None,
        });
    let id = context.and_then(|context| context.request_id.clone());
    let route = context
        .and_then(|context| context.route_key.clone())
        .unwrap_or_else(|| String::from("none"));
    (id, route)
}

/// Parses the request body as `T`, from JSON or from a form, by the request's content type.
///
/// `T` should be `#[serde(deny_unknown_fields)]`: a field the client may not set (a role, a price)
/// must be refused, not silently dropped.
pub fn parse_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            ErrorCode::BodyTooLarge,
            format!(
                "the request body is {} bytes; the limit is {MAX_BODY_BYTES}",
                bytes.len()
            ),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            ErrorCode::EmptyBody,
            "the request body is empty; send a JSON object",
        ));
    }
    match BodyFormat::of(request, bytes)? {
        BodyFormat::Json => serde_json::from_slice(bytes).map_err(|err| {
            let code = if err.is_data() {
                ErrorCode::InvalidBody
            } else {
                ErrorCode::MalformedJson
            };
            ApiError::new(code, format!("the request body is not accepted: {err}"))
        }),
        BodyFormat::Form => serde_urlencoded::from_bytes(bytes).map_err(|err| {
            ApiError::new(
                ErrorCode::InvalidBody,
                format!("the form is not accepted: {err}"),
            )
        }),
    }
}

/// [`parse_body`], from JSON only: for public routes a page on another site could otherwise post
/// a form to. A browser sends JSON across sites only after asking (a CORS preflight), which this
/// API never grants.
pub fn parse_json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    if let Some(essence) = content_type(request) {
        let json = essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"));
        if !json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!("content type `{essence}` is not accepted here; send application/json"),
            ));
        }
    }
    parse_body(request)
}

/// The request's media type (`application/json` of `application/json; charset=utf-8`), in
/// lower case, if it names one.
fn content_type(request: &Request) -> Option<String> {
    let value = request.headers().get(header::CONTENT_TYPE)?;
    let essence = value.to_str().unwrap_or_default().split(';').next()?;
    Some(essence.trim().to_ascii_lowercase())
}

enum BodyFormat {
    Json,
    Form,
}

impl BodyFormat {
    /// JSON unless the client says otherwise: a missing content type is the common curl case,
    /// and so is a JSON object sent as a form (`curl -d '{...}'` labels it form-encoded), which
    /// no real form body can look like.
    fn of(request: &Request, bytes: &[u8]) -> Result<Self, ApiError> {
        let Some(essence) = content_type(request) else {
            return Ok(Self::Json);
        };
        match essence.as_str() {
            "application/json" => Ok(Self::Json),
            "application/x-www-form-urlencoded" => {
                let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
                Ok(if first == Some(&b'{') {
                    Self::Json
                } else {
                    Self::Form
                })
            }
            other if other.starts_with("application/") && other.ends_with("+json") => {
                Ok(Self::Json)
            }
            other => Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "content type `{other}` is not accepted; send application/json or application/x-www-form-urlencoded"
                ),
            )),
        }
    }
}

/// A path parameter that the route template guarantees, such as `{username}`.
pub fn path_parameter(request: &Request, name: &str) -> Result<String, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .map(str::to_owned)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("the path has no {name}")))
}

/// A query-string parameter, if present.
pub fn query_parameter<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name))
}

/// The `limit` query parameter: `default` when absent, 400 unless a whole number from 1 to `max`.
pub fn page_limit(request: &Request, default: i32, max: i32) -> Result<i32, ApiError> {
    let Some(raw) = query_parameter(request, "limit") else {
        return Ok(default);
    };
    raw.trim()
        .parse()
        .ok()
        .filter(|limit| (1..=max).contains(limit))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidLimit,
                format!("limit must be a whole number from 1 to {max}"),
            )
        })
}

/// An opaque pagination cursor: where the next page starts, as a few strings (for example the
/// sort key of a page's last item), encoded for a URL. Clients pass it back unchanged.
pub fn encode_cursor(parts: &[&str]) -> String {
    use base64::Engine;
    let json = serde_json::to_vec(parts).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The strings inside a cursor made by [`encode_cursor`] with `count` parts; 400 for anything else.
/// The caller still validates each part, as it would any client input.
pub fn decode_cursor(raw: &str, count: usize) -> Result<Vec<String>, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.trim())
        .ok()
        .and_then(|json| serde_json::from_slice::<Vec<String>>(&json).ok())
        .filter(|parts| parts.len() == count)
        .ok_or_else(invalid_cursor)
}

/// The 400 for a cursor this API did not hand out.
pub fn invalid_cursor() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCursor,
        "cursor is not one this API returned; start again without it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Login {
        username: String,
        password: String,
    }

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder().method("POST");
        if let Some(content_type) = content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        builder.body(Body::Text(body.to_owned())).unwrap()
    }

    fn body_of(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn json_and_form_bodies_parse_alike() {
        let expected = Login {
            username: "ada".into(),
            password: "pw".into(),
        };
        let json = request(None, r#"{"username":"ada","password":"pw"}"#);
        let json_with_charset = request(
            Some("application/json; charset=utf-8"),
            r#"{"username":"ada","password":"pw"}"#,
        );
        let form = request(
            Some("application/x-www-form-urlencoded"),
            "username=ada&password=pw",
        );
        let curl_default = request(
            Some("application/x-www-form-urlencoded"),
            r#"{"username":"ada","password":"pw"}"#,
        );
        for request in [json, json_with_charset, form, curl_default] {
            assert_eq!(parse_body::<Login>(&request).unwrap(), expected);
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = parse_body::<Login>(&request(
            None,
            r#"{"username":"ada","password":"pw","is_admin":true}"#,
        ))
        .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert_eq!(err.code(), "invalid_body");
        assert!(err.message().contains("is_admin"), "{}", err.message());
    }

    #[test]
    fn malformed_empty_oversized_and_foreign_bodies_are_client_errors() {
        let cases = [
            (request(None, "{\"username\":"), 400, "malformed_json"),
            (request(None, "  "), 400, "empty_body"),
            (
                request(None, &"x".repeat(MAX_BODY_BYTES + 1)),
                413,
                "body_too_large",
            ),
            (
                request(Some("text/xml"), "<login/>"),
                415,
                "unsupported_media_type",
            ),
            (
                request(Some("application/json"), &"[".repeat(5_000)),
                400,
                "invalid_body",
            ),
        ];
        for (request, status, code) in cases {
            let err = parse_body::<Login>(&request).unwrap_err();
            assert_eq!(
                (err.status().as_u16(), err.code().as_str()),
                (status, code),
                "{err}"
            );
        }
    }

    #[test]
    fn errors_render_as_one_json_shape() {
        let response = ApiError::validation(BTreeMap::from([(
            "username".to_owned(),
            "too short".to_owned(),
        )]))
        .into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body_of(&response),
            serde_json::json!({
                "error": "validation_failed",
                "message": "invalid username",
                "fields": {"username": "too short"}
            })
        );

        let unauthorized = ApiError::new(ErrorCode::Unauthorized, "log in").into_response();
        assert_eq!(unauthorized.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            body_of(&unauthorized),
            serde_json::json!({"error": "unauthorized", "message": "log in"})
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let cursor = encode_cursor(&["2026-11-22T10:00:00Z", "order-1"]);
        assert_eq!(
            decode_cursor(&cursor, 2).unwrap(),
            ["2026-11-22T10:00:00Z", "order-1"]
        );
        assert_eq!(
            decode_cursor(&cursor, 1).unwrap_err().code(),
            "invalid_cursor"
        );
        for forged in ["", "%%%", "bm90IGpzb24", &encode_cursor(&[])] {
            assert_eq!(
                decode_cursor(forged, 2).unwrap_err().code(),
                "invalid_cursor"
            );
        }
    }

    #[test]
    fn limits_default_and_are_bounded() {
        let with_limit = |limit: &str| {
            Request::default().with_query_string_parameters(std::collections::HashMap::from([(
                "limit".to_owned(),
                limit.to_owned(),
            )]))
        };
        assert_eq!(page_limit(&Request::default(), 25, 100).unwrap(), 25);
        assert_eq!(page_limit(&with_limit("100"), 25, 100).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert_eq!(
                page_limit(&with_limit(bad), 25, 100).unwrap_err().code(),
                "invalid_limit"
            );
        }
    }
}
