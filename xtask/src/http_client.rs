//! A small HTTP/1.1 client, for what talks to the local shop over the network: the journey
//! tests and the benchmark's shoppers.

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// An answer from the shop.
#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpReply {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A request as a customer's browser sends it: `token` as a bearer token, `body` as JSON.
pub fn request(
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> crate::Result<hyper::Request<Full<Bytes>>> {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .header("user-agent", "shop-tests");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let payload = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    Ok(request.body(Full::new(payload))?)
}

/// Sends one request to `address` (a fresh connection each time, like a browser's first visit).
/// A request that cannot be sent at all answers status 0, with the reason as its body.
pub async fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> HttpReply {
    match try_send(address, method, path, token, body).await {
        Ok(reply) => reply,
        Err(err) => HttpReply {
            status: 0,
            headers: HeaderMap::new(),
            body: Bytes::from(format!("the request did not complete: {err}")),
        },
    }
}

async fn try_send(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> crate::Result<HttpReply> {
    let stream = TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = request(method, path, token, body)?;
    let (mut parts, payload) = request.into_parts();
    parts.headers.insert(
        "host",
        hyper::header::HeaderValue::from_str(&address.to_string())?,
    );
    let response = sender
        .send_request(hyper::Request::from_parts(parts, payload))
        .await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await?.to_bytes();
    Ok(HttpReply {
        status,
        headers,
        body,
    })
}
