//! The Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`), for one function
//! invoking another (orders pricing a product, receipts checking an order) and for
//! `cargo lambda invoke <function> --data-file events/<event>.json`. Functions are named by
//! binary (or by logical id).
//!
//! A call signed by a function is allowed only if its policy grants `lambda:InvokeFunction` on
//! the function it calls (the IAM gate decides, and a refusal is Lambda's own 403); a call signed
//! by no function is the operator's, and passes.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::names::LocalNames;
use super::runtime::{Outcome, Pool};
use crate::iam::Gate;

/// What the Invoke API can run, and who may.
#[derive(Debug)]
pub struct Functions {
    /// By binary name and by logical id.
    pub pools: BTreeMap<String, Arc<Pool>>,
    pub gate: Gate,
    pub names: LocalNames,
}

pub async fn serve(listener: TcpListener, functions: Arc<Functions>) {
    while let Ok((stream, _)) = listener.accept().await {
        let functions = Arc::clone(&functions);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let functions = Arc::clone(&functions);
                async move { Ok::<_, Infallible>(invoke(&functions, request).await) }
            });
            let _closed = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn invoke(functions: &Functions, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    // A name, `name:qualifier` or an ARN (`arn:aws:lambda:<region>:<account>:function:<name>`,
    // perhaps qualified): the function is the name.
    let identifier = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .map(|name| name.replace("%3A", ":").replace("%3a", ":"));
    let name = identifier.as_deref().map(|identifier| {
        let unqualified = identifier
            .split_once(":function:")
            .map_or(identifier, |(_, rest)| rest);
        unqualified
            .split(':')
            .next()
            .unwrap_or(unqualified)
            .to_owned()
    });
    let Some(pool) = name.as_ref().and_then(|name| functions.pools.get(name)) else {
        let message = format!("Function not found: {}", name.unwrap_or(path));
        return answer(
            StatusCode::NOT_FOUND,
            Some("ResourceNotFoundException"),
            serde_json::json!({ "Type": "User", "message": message }).to_string(),
        );
    };
    let authorization = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    // Authorised on what was asked for: an ARN as it is, a qualifier kept.
    let asked = match identifier.as_deref() {
        Some(id) if id.starts_with("arn:") => id.to_owned(),
        // `name`, `name:qualifier`, or a partial ARN `<account>:function:name[:qualifier]`.
        Some(id) => {
            let unqualified = id.split_once(":function:").map_or(id, |(_, rest)| rest);
            match unqualified.split_once(':') {
                Some((_, qualifier)) => format!("{}:{qualifier}", pool.name()),
                None => pool.name().to_owned(),
            }
        }
        None => pool.name().to_owned(),
    };
    if let Err(refused) = functions
        .gate
        .authorize_invoke(authorization, &asked, |name| {
            functions.names.function_arn(name)
        })
    {
        return crate::iam::proxy::refusal("lambda", "POST", &refused);
    }
    let payload = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    match pool.invoke(payload).await {
        Ok(Outcome::Response(body)) => answer(StatusCode::OK, None, body),
        Ok(Outcome::Error(body)) => {
            let mut response = answer(StatusCode::OK, None, body);
            response.headers_mut().insert(
                "x-amz-function-error",
                hyper::header::HeaderValue::from_static("Unhandled"),
            );
            response
        }
        Err(err) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("ServiceException"),
            serde_json::json!({ "message": err.to_string() }).to_string(),
        ),
    }
}

fn answer(
    status: StatusCode,
    error: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amz-executed-version",
        hyper::header::HeaderValue::from_static("$LATEST"),
    );
    if let Some(error) = error {
        headers.insert(
            "x-amzn-errortype",
            hyper::header::HeaderValue::from_static(error),
        );
    }
    response
}
