//! A Lambda Invoke API on loopback, for the functions one service invokes in another.
//!
//! The orders service prices products by invoking `product-get`, and the receipts service checks
//! orders by invoking `order-get`, through the real AWS SDK. Here those calls reach this server,
//! which runs the real handlers in-process against the test's tables and answers as Lambda would:
//! the function's HTTP API response as the invocation's payload. The caller's policy must allow
//! `lambda:InvokeFunction` on the function (the test's IAM gate decides), as on AWS.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use orders::OrderStore;
use products::ProductStore;
use serde_json::json;
use tokio::net::TcpListener;
use xtask::iam::Gate;
use xtask::local::names::LocalNames;

/// The functions this server can run, by the name the template's `!Ref` gives them locally.
pub(crate) const PRODUCT_GET: &str = "ProductGetFunction";
pub(crate) const ORDER_GET: &str = "OrderGetFunction";

/// The stores the invocable functions use (each with its own function's credentials), and who
/// may invoke them.
#[derive(Debug, Clone)]
pub(crate) struct Functions {
    pub products: ProductStore,
    pub orders: OrderStore,
    pub gate: Gate,
    pub names: LocalNames,
}

/// Starts the server for the life of the test's runtime; returns its address.
pub(crate) async fn start(functions: Functions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let functions = functions.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| invoke(functions.clone(), request));
                let _closed = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

async fn invoke(
    functions: Functions,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let function = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .unwrap_or_default()
        .to_owned();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok());
    if let Err(refused) = functions
        .gate
        .authorize_invoke(authorization, &function, |name| {
            functions.names.function_arn(name)
        })
    {
        return Ok(xtask::iam::proxy::refusal("lambda", "POST", &refused));
    }
    let payload = request.into_body().collect().await.unwrap().to_bytes();
    let event = lambda_http::request::from_str(std::str::from_utf8(&payload).unwrap()).unwrap();
    let response = match function.as_str() {
        PRODUCT_GET => products::handlers::get::handle(&functions.products, event).await,
        ORDER_GET => orders::handlers::get::handle(&functions.orders, event).await,
        _ => {
            let body =
                json!({"Type": "User", "message": format!("Function not found: {function}")});
            return Ok(hyper::Response::builder()
                .status(404)
                .header("x-amzn-errortype", "ResourceNotFoundException")
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap());
        }
    };
    let response = shared::http::respond(response);
    let body = match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    };
    let headers: serde_json::Map<String, serde_json::Value> = response
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), json!(value.to_str().unwrap_or_default())))
        .collect();
    let answer = json!({
        "statusCode": response.status().as_u16(),
        "headers": headers,
        "multiValueHeaders": {},
        "cookies": [],
        "body": body,
        "isBase64Encoded": false,
    });
    Ok(hyper::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("x-amz-executed-version", "$LATEST")
        .body(Full::new(Bytes::from(answer.to_string())))
        .unwrap())
}
