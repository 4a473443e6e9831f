//! Requests as API Gateway passes them, built from the sample events in `events/`, and replies as
//! a client sees them.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use std::path::PathBuf;
use xtask::template::workspace_root;

/// A request as API Gateway passes it, read from `events/<name>.json`.
pub(crate) fn event(name: &str) -> Request {
    lambda_http::request::from_str(&event_text(name))
        .unwrap_or_else(|err| panic!("events/{name}.json is not an HTTP API event: {err}"))
}

pub(crate) fn event_text(name: &str) -> String {
    let path = events_dir().join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

pub(crate) fn events_dir() -> PathBuf {
    workspace_root().join("events")
}

/// `request` with `body` as its JSON body.
pub(crate) fn with_json(request: Request, body: &Value) -> Request {
    with_body(request, "application/json", body.to_string())
}

pub(crate) fn with_body(request: Request, content_type: &str, body: String) -> Request {
    let (mut parts, _) = request.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap(),
    );
    Request::from_parts(parts, Body::Text(body))
}

/// `request` as API Gateway passes it when the client connects from `address`.
pub(crate) fn from_address(request: Request, address: &str) -> Request {
    let RequestContext::ApiGatewayV2(mut context) = request.request_context() else {
        panic!("not an HTTP API request");
    };
    context.http.source_ip = Some(address.to_owned());
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}

/// What a client sees: the status and the JSON body (`Null` when there is none).
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub response: Response<Body>,
}

impl Reply {
    pub(crate) fn from(response: Response<Body>) -> Self {
        let bytes: &[u8] = response.body().as_ref();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes).unwrap_or_else(|err| {
                panic!(
                    "response body is not JSON ({err}): {}",
                    String::from_utf8_lossy(bytes)
                )
            })
        };
        Self {
            status: response.status(),
            body,
            response,
        }
    }

    /// The error code of an error reply, or "" for a success.
    pub(crate) fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    #[track_caller]
    pub(crate) fn assert(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "unexpected reply: {}",
            self.body
        );
        self
    }
}
