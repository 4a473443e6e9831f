//! The gate as a server: functions send their AWS calls here (every `AWS_ENDPOINT_URL_*` of theirs
//! points at it); each call is authorised, then forwarded unchanged to the emulator that serves
//! its service (found from the SigV4 credential's scope), or refused with the error AWS sends.
//!
//! One answer depends on permissions beyond the call's own: S3 says `404 NoSuchKey` for a missing
//! key only to a caller that may `s3:ListBucket` the bucket, and `403 AccessDenied` to anyone
//! else. The emulators always say 404; the gate turns it into AWS's answer.
//!
//! And S3 applies a conditional write (`If-Match`, `If-None-Match`) atomically, where moto checks
//! the condition and then writes: two writers racing on one key could both pass its check. The
//! gate lets one write to an object through at a time.

use std::collections::BTreeMap;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use super::request::{ApiRequest, Credential};
use super::{Gate, Refusal};

/// Where each service's calls go: signing name (`dynamodb`, `sqs`, `s3`, `ses`,
/// `secretsmanager`) to the emulator's `host:port`.
pub type Upstreams = BTreeMap<String, String>;

/// The upstreams the environment points the SDK at (`AWS_ENDPOINT_URL_DYNAMODB` and its
/// siblings), with `overrides` (`(variable, url)` pairs) taking precedence.
pub fn upstreams_from_env(overrides: &[(String, String)]) -> Upstreams {
    let lookup = |variable: &str| {
        overrides
            .iter()
            .find(|(name, _)| name == variable)
            .map(|(_, url)| url.clone())
            .or_else(|| std::env::var(variable).ok())
    };
    [
        ("dynamodb", "AWS_ENDPOINT_URL_DYNAMODB"),
        ("sqs", "AWS_ENDPOINT_URL_SQS"),
        ("s3", "AWS_ENDPOINT_URL_S3"),
        ("ses", "AWS_ENDPOINT_URL_SESV2"),
        ("secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
        ("cloudfront", "AWS_ENDPOINT_URL_CLOUDFRONT"),
    ]
    .into_iter()
    .filter_map(|(service, variable)| {
        let url = lookup(variable)?;
        let authority = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Some((service.to_owned(), authority))
    })
    .collect()
}

/// The endpoint variables a function gets so that every AWS call of its goes through the gate
/// at `address` (Lambda's excepted: the local Invoke APIs check those themselves).
pub fn endpoint_environment(address: std::net::SocketAddr) -> Vec<(String, String)> {
    let url = format!("http://{address}");
    [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SESV2",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "AWS_ENDPOINT_URL_CLOUDFRONT",
    ]
    .into_iter()
    .map(|variable| (variable.to_owned(), url.clone()))
    .collect()
}

/// Connections to one emulator, kept open between calls.
#[derive(Default)]
struct Pool {
    idle: Mutex<Vec<hyper::client::conn::http1::SendRequest<Full<Bytes>>>>,
}

/// A running gate's state.
pub struct Server {
    gate: Gate,
    upstreams: Upstreams,
    pools: BTreeMap<String, Pool>,
    /// Held while an S3 write is forwarded, one of them by the object's hash.
    object_writes: [Mutex<()>; OBJECT_WRITE_LOCKS],
}

/// How many locks the S3 writes are spread over: writes to different objects seldom wait.
const OBJECT_WRITE_LOCKS: usize = 16;

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("upstreams", &self.upstreams)
            .finish_non_exhaustive()
    }
}

/// Serves `gate` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, gate: Gate, upstreams: Upstreams) {
    let pools = upstreams
        .values()
        .map(|authority| (authority.clone(), Pool::default()))
        .collect();
    let server = Arc::new(Server {
        gate,
        upstreams,
        pools,
        object_writes: std::array::from_fn(|_| Mutex::new(())),
    });
    while let Ok((stream, _)) = listener.accept().await {
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let server = Arc::clone(&server);
                async move {
                    server
                        .handle(request)
                        .await
                        .map_err(|err| std::io::Error::other(err.to_string()))
                }
            });
            let _closed = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Server {
    /// The answer to `request`; an error (which drops the connection unanswered) when the
    /// emulator behind cannot be reached, so the caller sees what it would see if the service
    /// itself were down.
    async fn handle(&self, request: Request<Incoming>) -> crate::Result<Response<Full<Bytes>>> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let method = parts.method.as_str().to_owned();
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let query = parts.uri.query().unwrap_or_default();
        let Some(credential) = Credential::from_request(header("authorization"), query) else {
            return Ok(refusal("", &method, &Refusal::UnknownKey(None)));
        };
        let service = credential.service.as_str();
        let Some(upstream) = self.upstreams.get(service) else {
            let reason = format!("no emulator serves {service} here");
            return Ok(refusal(service, &method, &Refusal::Unreadable(reason)));
        };
        let api = ApiRequest {
            method: &method,
            path: parts.uri.path(),
            query,
            target: header("x-amz-target"),
            copy_source: header("x-amz-copy-source"),
            body: &body,
        };
        let key = credential.access_key.as_str();
        let checks = match self.gate.checks(service, &api) {
            Ok(checks) => checks,
            Err(reason) => {
                if let Some(principal) = self.gate.principal(key) {
                    self.gate.announce(principal, &reason);
                }
                return Ok(refusal(service, &method, &Refusal::Unreadable(reason)));
            }
        };
        if let Err(refused) = self.gate.authorize(Some(key), &checks) {
            return Ok(refusal(service, &method, &refused));
        }
        let operation = api.target.and_then(|target| target.rsplit_once('.'));
        self.gate
            .count(key, operation.map(|(_, name)| name), &checks);
        let _one_writer = match (service, method.as_str()) {
            ("s3", "PUT" | "POST" | "DELETE") => Some(self.object_write(&checks).lock().await),
            _ => None,
        };
        let (answer, body) = self.forward(upstream, &parts, &body).await?;
        if service == "s3"
            && answer.status == StatusCode::NOT_FOUND
            && let Some(hidden) = self.missing_object(key, &method, &checks, &body)
        {
            return Ok(hidden);
        }
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = answer.status;
        copy_headers(&answer.headers, response.headers_mut());
        Ok(response)
    }

    /// The lock of the object a write's `checks` name (its ARN, the key decoded, as the gate read
    /// it).
    fn object_write(&self, checks: &[super::request::Check]) -> &Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        checks
            .first()
            .map(|check| &check.resource)
            .hash(&mut hasher);
        let stripe = usize::try_from(hasher.finish() % OBJECT_WRITE_LOCKS as u64).unwrap_or(0);
        &self.object_writes[stripe]
    }

    /// S3's answer for a missing object, which is `404 NoSuchKey` only for a caller who may
    /// `s3:ListBucket` the bucket: `Some(403)` for the others.
    fn missing_object(
        &self,
        key: &str,
        method: &str,
        checks: &[super::request::Check],
        body: &Bytes,
    ) -> Option<Response<Full<Bytes>>> {
        let check = checks
            .first()
            .filter(|check| check.action == "s3:GetObject")?;
        // A missing bucket is NoSuchBucket for anyone; only a missing key is hidden. (HEAD has
        // no body to tell them apart by: taken as a missing key.)
        let missing_key = body
            .windows(b"<Code>NoSuchKey</Code>".len())
            .any(|window| window == b"<Code>NoSuchKey</Code>");
        if method != "HEAD" && !missing_key {
            return None;
        }
        let bucket = check
            .resource
            .split_once('/')
            .map_or(check.resource.as_str(), |(bucket, _)| bucket);
        if self.gate.allows(key, "s3:ListBucket", bucket) {
            return None;
        }
        if let Some(principal) = self.gate.principal(key) {
            self.gate.announce(
                principal,
                &format!(
                    "s3:GetObject on a missing key: S3 answers 403 AccessDenied, not 404 \
                     NoSuchKey, because it may not s3:ListBucket on {bucket}"
                ),
            );
        }
        Some(s3_error(
            method,
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied",
        ))
    }

    /// Sends the request on to the emulator as it came, and returns its answer. A kept
    /// connection the emulator closed before taking the request is replaced by a new one, once;
    /// no answer within [`UPSTREAM_TIMEOUT`] is an error.
    async fn forward(
        &self,
        upstream: &str,
        parts: &hyper::http::request::Parts,
        body: &Bytes,
    ) -> crate::Result<(hyper::http::response::Parts, Bytes)> {
        let pool = &self.pools[upstream];
        let idle = loop {
            match pool.idle.lock().await.pop() {
                Some(sender) if sender.is_ready() => break Some(sender),
                Some(_) => {}
                None => break None,
            }
        };
        let reused = idle.is_some();
        let sender = match idle {
            Some(sender) => sender,
            None => connect(upstream).await?,
        };
        // Only a request the emulator never received is sent again: anything it may have acted
        // on (a conditional write, a receive) must not happen twice.
        let sent = match send(sender, parts, body).await? {
            Sent::Unsent if reused => send(connect(upstream).await?, parts, body).await?,
            sent => sent,
        };
        let Sent::Answered(answer, body, sender) = sent else {
            return Err("the emulator closed the connection before taking the request".into());
        };
        pool.idle.lock().await.push(sender);
        Ok((answer, body))
    }
}

/// How long the emulator may take to answer one call.
const UPSTREAM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(upstream: &str) -> crate::Result<Sender> {
    let stream = TcpStream::connect(upstream).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// What became of a request sent on a connection.
enum Sent {
    /// The answer, and the connection to keep.
    Answered(hyper::http::response::Parts, Bytes, Sender),
    /// The connection was closed before the request was written: it may be sent again.
    Unsent,
}

/// One request on `sender`.
async fn send(
    mut sender: Sender,
    parts: &hyper::http::request::Parts,
    body: &Bytes,
) -> crate::Result<Sent> {
    let mut request = Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    if let Some(headers) = request.headers_mut() {
        copy_headers(&parts.headers, headers);
    }
    let request = request.body(Full::new(body.clone()))?;
    let answered = tokio::time::timeout(UPSTREAM_TIMEOUT, async {
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(mut err) => {
                return match err.take_message() {
                    Some(_unsent) => Ok(None),
                    None => Err(err.into_error()),
                };
            }
        };
        let (answer, body) = response.into_parts();
        Ok(Some((answer, body.collect().await?.to_bytes())))
    })
    .await
    .map_err(|_| "the emulator did not answer in time")??;
    Ok(match answered {
        Some((answer, body)) => Sent::Answered(answer, body, sender),
        None => Sent::Unsent,
    })
}

/// Every header but those that describe one hop (the body is re-sent whole).
fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !matches!(
            name.as_str(),
            "connection" | "transfer-encoding" | "keep-alive" | "content-length"
        ) {
            to.append(name.clone(), value.clone());
        }
    }
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(message.to_owned())));
    *response.status_mut() = status;
    response
}

fn with_headers(
    status: StatusCode,
    headers: &[(&'static str, String)],
    body: String,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response.headers_mut().insert(
        "x-amzn-requestid",
        HeaderValue::from_static("local-iam-gate"),
    );
    response
}

/// The error `service` sends for `refused`, in its own protocol, as AWS sends it.
pub fn refusal(service: &str, method: &str, refused: &Refusal) -> Response<Full<Bytes>> {
    let unknown = matches!(refused, Refusal::UnknownKey(_));
    let kind = if unknown {
        "UnrecognizedClientException"
    } else {
        "AccessDeniedException"
    };
    let denied = match refused {
        Refusal::Denied {
            principal, check, ..
        } => Some((principal, check)),
        _ => None,
    };
    let message = refused.message();
    // The JSON protocols: a type and a message in the body.
    let typed = |status, content_type: &str, kind: String, message: String| {
        with_headers(
            status,
            &[("content-type", content_type.to_owned())],
            json!({"__type": kind, "Message": message}).to_string(),
        )
    };
    // The REST JSON protocols: the type in a header.
    let rest = |message_key: &str, message: String| {
        with_headers(
            StatusCode::FORBIDDEN,
            &[
                ("content-type", "application/json".into()),
                ("x-amzn-errortype", kind.into()),
            ],
            json!({ message_key: message }).to_string(),
        )
    };
    match service {
        "dynamodb" => typed(
            StatusCode::BAD_REQUEST,
            "application/x-amz-json-1.0",
            format!("com.amazon.coral.service#{kind}"),
            message,
        ),
        "sqs" => {
            // SQS spells the action in lower case, and says its query-protocol code in a header.
            let message = match denied {
                Some((_, check)) => {
                    message.replace(&check.action, &check.action.to_ascii_lowercase())
                }
                None => message,
            };
            let code = if unknown {
                "InvalidClientTokenId"
            } else {
                "AccessDenied"
            };
            let mut response = typed(
                StatusCode::FORBIDDEN,
                "application/x-amz-json-1.0",
                "com.amazon.coral.service#AccessDeniedException".into(),
                message,
            );
            if let Ok(value) = HeaderValue::from_str(&format!("{code};Sender")) {
                response.headers_mut().insert("x-amzn-query-error", value);
            }
            response
        }
        "s3" => match (refused, denied) {
            (Refusal::UnknownKey(_), _) => s3_error(
                method,
                StatusCode::FORBIDDEN,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
            // S3 quotes the resource.
            (_, Some((_, check))) => s3_error(
                method,
                StatusCode::FORBIDDEN,
                "AccessDenied",
                &message.replace(
                    &format!("on resource: {} ", check.resource),
                    &format!("on resource: \"{}\" ", check.resource),
                ),
            ),
            _ => s3_error(method, StatusCode::FORBIDDEN, "AccessDenied", &message),
        },
        // SES words it its own way.
        "ses" => rest(
            "message",
            match denied {
                Some((principal, check)) => format!(
                    "User `{principal}' is not authorized to perform `{}' on resource `{}'",
                    check.action, check.resource
                ),
                None => message,
            },
        ),
        // Secrets Manager names the secret as the caller did.
        "secretsmanager" => {
            let as_sent = denied.and_then(|(_, check)| {
                let id = check.context.get("secretsmanager:SecretId")?;
                Some(message.replace(&check.resource, &id.join(",")))
            });
            typed(
                StatusCode::BAD_REQUEST,
                "application/x-amz-json-1.1",
                kind.into(),
                as_sent.unwrap_or(message),
            )
        }
        "lambda" => rest("Message", message),
        "cloudfront" => cloudfront_error(
            if unknown {
                "InvalidClientTokenId"
            } else {
                "AccessDenied"
            },
            &message,
        ),
        _ => plain(StatusCode::FORBIDDEN, &message),
    }
}

/// CloudFront's REST-XML error, as it answers a refused call.
fn cloudfront_error(code: &str, message: &str) -> Response<Full<Bytes>> {
    with_headers(
        StatusCode::FORBIDDEN,
        &[("content-type", "text/xml".into())],
        format!(
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>local-iam-gate</RequestId></ErrorResponse>",
            xml_escape(message)
        ),
    )
}

/// An S3 error document (none for `HEAD`, which has no body).
fn s3_error(method: &str, status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = if method == "HEAD" {
        String::new()
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message><RequestId>local-iam-gate</RequestId><HostId>local</HostId></Error>",
            xml_escape(message)
        )
    };
    with_headers(status, &[("content-type", "application/xml".into())], body)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
