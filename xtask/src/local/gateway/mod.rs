//! The HTTP API, emulated: the template's routes on one local origin, each request turned into
//! the API Gateway HTTP API (payload 2.0) event its function gets on AWS, after the same Lambda
//! authorizer has run; `/_local/mail` is the [`mailbox`] of what the shop sent, `/_local/` the
//! [`operator`] page; anything else that is not `/api/` is the storefront, served from `web/`.
//!
//! API Gateway's own answers are kept too: an unknown route is `404 {"message":"Not Found"}`, an
//! authorizer that refuses is `403 {"message":"Forbidden"}`, and a function that fails is
//! `500 {"message":"Internal Server Error"}`. Every response carries the security headers the
//! template's CloudFront response headers policy adds on AWS.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequest,
};
use aws_lambda_events::query_map::QueryMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

mod event;
pub mod mailbox;
mod operator;
mod pages;

use event::{cookies_of, encode, headers_of, query_parameters, request_context};
use pages::{from_this_machine, plain, storefront_styles};

use super::Console;
use super::runtime::{Outcome, Pool};
use crate::template::Route;

/// A route, ready to match.
struct LocalRoute {
    method: String,
    segments: Vec<Segment>,
    key: String,
    function: Arc<Pool>,
    authorizer: Option<Arc<Pool>>,
}

enum Segment {
    Literal(String),
    Parameter(String),
}

pub struct Gateway {
    routes: Vec<LocalRoute>,
    web: PathBuf,
    console: Console,
    /// Added to every response (from the template's response headers policy).
    security_headers: Vec<(HeaderName, HeaderValue)>,
    /// moto's SES, whose messages [`mailbox`] shows.
    ses: Option<std::net::SocketAddr>,
    /// The storefront's style sheet links, for the local pages.
    styles: String,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<&str> = self.routes.iter().map(|route| route.key.as_str()).collect();
        f.debug_struct("Gateway")
            .field("routes", &routes)
            .field("web", &self.web)
            .finish_non_exhaustive()
    }
}

/// The parts of a request the events are made of.
struct RequestParts {
    method: Method,
    path: String,
    query: String,
    /// As API Gateway passes them: one value per name, repeated values joined with commas.
    headers: HeaderMap,
    cookies: Vec<String>,
    body: Bytes,
}

impl Gateway {
    /// `routes` from the template, with the pool that serves each and each authorizer's pool.
    pub fn new(
        routes: Vec<(Route, Arc<Pool>, Option<Arc<Pool>>)>,
        web: PathBuf,
        console: Console,
        security_headers: Vec<(String, String)>,
    ) -> crate::Result<Self> {
        let security_headers = security_headers
            .into_iter()
            .map(|(name, value)| {
                Ok((
                    HeaderName::from_bytes(name.as_bytes())?,
                    HeaderValue::from_str(&value)?,
                ))
            })
            .collect::<crate::Result<_>>()?;
        let routes = routes
            .into_iter()
            .map(|(route, function, authorizer)| LocalRoute {
                method: route.method.clone(),
                segments: route
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|segment| {
                        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Parameter(name.to_owned()),
                            None => Segment::Literal(segment.to_owned()),
                        }
                    })
                    .collect(),
                key: route.key(),
                function,
                authorizer,
            })
            .collect();
        Ok(Self {
            routes,
            styles: storefront_styles(&web),
            web,
            console,
            security_headers,
            ses: local_ses(),
        })
    }

    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        while let Ok((stream, peer)) = listener.accept().await {
            let gateway = Arc::clone(&self);
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let gateway = Arc::clone(&gateway);
                    async move {
                        let mut response = gateway.handle(request, peer.ip()).await;
                        let headers = response.headers_mut();
                        for (name, value) in &gateway.security_headers {
                            headers.insert(name.clone(), value.clone());
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let _closed = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    async fn handle(
        &self,
        request: Request<Incoming>,
        peer: std::net::IpAddr,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        if path.starts_with("/_local") && !from_this_machine(local_host(&request)) {
            return plain(
                StatusCode::FORBIDDEN,
                "text/plain; charset=utf-8",
                "the local tools answer requests to 127.0.0.1, localhost or [::1] only",
            );
        }
        if mailbox::serves(&path) {
            let response = mailbox::answer(&path, self.ses, &self.styles).await;
            self.console
                .request(&method, &path, "-", response.status().as_u16(), started);
            return response;
        }
        if operator::serves(&path) {
            // Not recorded as a request: the page would fill its own list as it reloads.
            let query = request.uri().query().unwrap_or_default();
            return operator::answer(&self.console.observer, &path, query, &self.styles);
        }
        if !path.starts_with("/api/") && path != "/api" {
            return self.static_file(&path);
        }
        let Some((route, parameters)) = self.route(&method, &path) else {
            let response = api_gateway_error(StatusCode::NOT_FOUND, "Not Found");
            self.console
                .request(&method, &path, "-", response.status().as_u16(), started);
            return response;
        };
        let incoming = RequestParts {
            method: request.method().clone(),
            path: path.clone(),
            query: request.uri().query().unwrap_or_default().to_owned(),
            headers: headers_of(&request),
            cookies: cookies_of(&request),
            body: match request.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => Bytes::new(),
            },
        };
        let response = self.call(route, &incoming, &parameters, peer).await;
        self.console.request(
            &method,
            &path,
            route.function.name(),
            response.status().as_u16(),
            started,
        );
        response
    }

    fn route(&self, method: &str, path: &str) -> Option<(&LocalRoute, BTreeMap<String, String>)> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.routes.iter().find_map(|route| {
            if route.method != method || route.segments.len() != segments.len() {
                return None;
            }
            let mut parameters = BTreeMap::new();
            for (pattern, actual) in route.segments.iter().zip(&segments) {
                match pattern {
                    Segment::Literal(literal) if literal == actual => {}
                    Segment::Parameter(name) if !actual.is_empty() => {
                        parameters.insert(name.clone(), percent_decode(actual));
                    }
                    _ => return None,
                }
            }
            Some((route, parameters))
        })
    }

    async fn call(
        &self,
        route: &LocalRoute,
        incoming: &RequestParts,
        parameters: &BTreeMap<String, String>,
        peer: std::net::IpAddr,
    ) -> Response<Full<Bytes>> {
        let mut context = request_context(route, incoming, peer);
        if let Some(authorizer) = &route.authorizer {
            let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
            event.version = Some("2.0".into());
            event.type_ = Some("REQUEST".into());
            event.route_arn = Some(format!(
                "arn:aws:execute-api:local:000000000000:local/$default/{}{}",
                incoming.method, incoming.path
            ));
            event.route_key = Some(route.key.clone());
            event.raw_path = Some(incoming.path.clone());
            event.raw_query_string = Some(incoming.query.clone());
            event.cookies = incoming.cookies.clone();
            event.headers = incoming.headers.clone();
            event.query_string_parameters = query_parameters(&incoming.query);
            event.request_context = context.clone();
            event.path_parameters = parameters.clone().into_iter().collect();
            let verdict = match authorizer.invoke(encode(&event)).await {
                Ok(Outcome::Response(body)) => {
                    serde_json::from_slice::<ApiGatewayV2CustomAuthorizerSimpleResponse>(&body).ok()
                }
                _ => None,
            };
            match verdict {
                Some(verdict) if verdict.is_authorized => {
                    let mut caller = ApiGatewayRequestAuthorizer::default();
                    caller.fields = match verdict.context {
                        Value::Object(fields) => fields.into_iter().collect(),
                        _ => HashMap::new(),
                    };
                    context.authorizer = Some(caller);
                }
                Some(_) => return api_gateway_error(StatusCode::FORBIDDEN, "Forbidden"),
                None => {
                    return api_gateway_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal Server Error",
                    );
                }
            }
        }
        let mut event = ApiGatewayV2httpRequest::default();
        event.version = Some("2.0".into());
        event.route_key = Some(route.key.clone());
        event.raw_path = Some(incoming.path.clone());
        event.raw_query_string = Some(incoming.query.clone());
        event.headers = incoming.headers.clone();
        event.request_context = context;
        event.cookies = (!incoming.cookies.is_empty()).then(|| incoming.cookies.clone());
        event.query_string_parameters = QueryMap::from(query_parameters(&incoming.query));
        event.path_parameters = parameters.clone().into_iter().collect();
        if !incoming.body.is_empty() {
            let (body, base64_encoded) = match std::str::from_utf8(&incoming.body) {
                Ok(text) => (text.to_owned(), false),
                Err(_) => (BASE64.encode(&incoming.body), true),
            };
            event.body = Some(body);
            event.is_base64_encoded = base64_encoded;
        }
        match route.function.invoke(encode(&event)).await {
            Ok(Outcome::Response(payload)) => http_response(&payload),
            Ok(Outcome::Error(error)) => {
                self.console.function_line(
                    route.function.name(),
                    &format!("invocation failed: {}", String::from_utf8_lossy(&error)),
                );
                api_gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Err(err) => {
                self.console
                    .function_line(route.function.name(), &format!("invocation failed: {err}"));
                api_gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }

    /// The storefront: files under `web/`, `index.html` for `/` and for paths without a file;
    /// a folder's own `index.html` for the folder's path without a slash (`/docs`), which is
    /// where the upload puts it on AWS.
    fn static_file(&self, path: &str) -> Response<Full<Bytes>> {
        let relative = Path::new(path.trim_start_matches('/'));
        if relative
            .components()
            .any(|component| !matches!(component, Component::Normal(_)))
        {
            return plain(StatusCode::NOT_FOUND, "text/plain", "not found");
        }
        let mut file = self.web.join(relative);
        if !path.ends_with('/') && file.join("index.html").is_file() {
            file = file.join("index.html");
        } else if path == "/" || (file.extension().is_none() && !file.is_file()) {
            file = self.web.join("index.html");
        }
        match std::fs::read(&file) {
            Ok(bytes) => {
                let mut response = Response::new(Full::new(Bytes::from(bytes)));
                let headers = response.headers_mut();
                headers.insert(
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&file)),
                );
                headers.insert(
                    hyper::header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                );
                response
            }
            Err(_) => plain(StatusCode::NOT_FOUND, "text/plain", "not found"),
        }
    }
}

/// Where the functions' SES is (`AWS_ENDPOINT_URL_SESV2`, else `AWS_ENDPOINT_URL`), when it is
/// a local `http://host:port` one.
fn local_ses() -> Option<std::net::SocketAddr> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SESV2")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()?;
    endpoint
        .strip_prefix("http://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

fn percent_decode(segment: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!(
        "x={}",
        segment.replace('+', "%2B")
    ))
    .ok()
    .and_then(|pairs| pairs.into_iter().next())
    .map_or_else(|| segment.to_owned(), |(_, value)| value)
}

/// The function's payload 2.0 response as HTTP.
fn http_response(payload: &[u8]) -> Response<Full<Bytes>> {
    let Ok(answer) = serde_json::from_slice::<Value>(payload) else {
        return api_gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    if answer.get("statusCode").is_none() {
        // API Gateway's rule for a function that returns something else: it is the JSON body.
        return plain(StatusCode::OK, "application/json", &answer.to_string());
    }
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = answer["body"].as_str().unwrap_or_default();
    let body = if answer["isBase64Encoded"] == true {
        BASE64.decode(text).unwrap_or_default()
    } else {
        text.as_bytes().to_vec()
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    for cookie in answer["cookies"].as_array().into_iter().flatten() {
        if let Some(Ok(value)) = cookie.as_str().map(HeaderValue::from_str) {
            headers.append(hyper::header::SET_COOKIE, value);
        }
    }
    response
}

/// The name the request was sent to.
fn local_host(request: &Request<Incoming>) -> Option<&str> {
    request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|host| host.to_str().ok())
}

fn api_gateway_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    plain(
        status,
        "application/json",
        &json!({ "message": message }).to_string(),
    )
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|ext| ext.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_and_path_segments_decode_like_api_gateway() {
        assert_eq!(
            query_parameters("limit=2&cursor=a%2Bb&tag=x&tag=y"),
            HashMap::from([
                ("cursor".to_owned(), "a+b".to_owned()),
                ("limit".to_owned(), "2".to_owned()),
                ("tag".to_owned(), "x,y".to_owned()),
            ])
        );
        assert_eq!(percent_decode("ada%40home"), "ada@home");
        assert_eq!(percent_decode("a+b"), "a+b");
    }

    #[test]
    fn function_responses_become_http() {
        let response = http_response(
            br#"{"statusCode":201,"headers":{"content-type":"application/json"},"cookies":["a=1"],"body":"{}","isBase64Encoded":false}"#,
        );
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["set-cookie"], "a=1");
        let pdf = http_response(br#"{"statusCode":200,"body":"JVBERg==","isBase64Encoded":true}"#);
        assert_eq!(pdf.status(), StatusCode::OK);
    }
}
