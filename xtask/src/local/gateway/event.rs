//! The events the local HTTP API hands its authorizer and its functions, built as API Gateway
//! builds them for an HTTP API (payload 2.0): the request context, headers, cookies and query
//! parameters.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use hyper::Request;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue};

use super::{LocalRoute, RequestParts};

/// An event as the function receives it: JSON.
pub(super) fn encode(event: &impl serde::Serialize) -> Bytes {
    Bytes::from(serde_json::to_vec(event).unwrap_or_default())
}

pub(super) fn request_context(
    route: &LocalRoute,
    incoming: &RequestParts,
    peer: std::net::IpAddr,
) -> ApiGatewayV2httpRequestContext {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let header = |name: &str| {
        incoming
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = incoming.method.clone();
    http.path = Some(incoming.path.clone());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some(peer.to_string());
    http.user_agent = Some(header("user-agent").unwrap_or_default());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.account_id = Some("000000000000".into());
    context.apiid = Some("local".into());
    context.domain_name = Some(header("host").unwrap_or_else(|| "127.0.0.1".into()));
    context.domain_prefix = Some("local".into());
    context.http = http;
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.route_key = Some(route.key.clone());
    context.stage = Some("$default".into());
    context.time = Some(httpdate_like());
    context.time_epoch = i64::try_from(now).unwrap_or(i64::MAX);
    context
}

/// Headers as API Gateway passes them: names lower-cased, repeated values joined with commas,
/// cookies left to `cookies`.
pub(super) fn headers_of<B>(request: &Request<B>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for name in request.headers().keys() {
        if name == hyper::header::COOKIE {
            continue;
        }
        let values: Vec<&str> = request
            .headers()
            .get_all(name)
            .iter()
            .map(|value| value.to_str().unwrap_or_default())
            .collect();
        if let Ok(joined) = HeaderValue::from_str(&values.join(",")) {
            headers.insert(name.clone(), joined);
        }
    }
    headers
}

pub(super) fn cookies_of<B>(request: &Request<B>) -> Vec<String> {
    request
        .headers()
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(|cookie| cookie.trim().to_owned())
        .filter(|cookie| !cookie.is_empty())
        .collect()
}

/// Query parameters as API Gateway passes them: decoded, repeated values joined with commas.
pub(super) fn query_parameters(query: &str) -> HashMap<String, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut parameters: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        parameters
            .entry(name)
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    parameters
}

/// `22/Nov/2026:22:04:00 +0000`, the form API Gateway's `requestContext.time` takes.
fn httpdate_like() -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}
