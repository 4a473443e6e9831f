//! What every service of the shop needs, and nothing more.
//!
//! - [`config`]: reading a function's settings from its environment, failing at cold start with the
//!   name of what is missing rather than at the first request.
//! - [`aws`]: the AWS SDK configuration, built once per cold start. Endpoints follow the standard
//!   `AWS_ENDPOINT_URL_*` variables, which is how local runs and tests reach the emulators.
//! - [`error`]: every error code the API answers with and its HTTP status, in one table; the
//!   error response (`{"error": code, "message": text}`) and how domain errors become one.
//! - [`http`]: error responses, request-body parsing with a size limit, and [`http::serve`],
//!   which runs a handler as a Lambda.
//! - [`auth`]: who is calling. The users service's Lambda authorizer verifies the token and writes an
//!   [`auth::AuthContext`]; every protected function reads it back as an [`auth::Caller`].
//! - [`ids`]: the identifiers several services share (usernames, product ids), parsed once.
//! - [`invoke`]: calling another service's HTTP function through the Lambda Invoke API.
//! - [`journey`]: one id for everything a customer's action sets off, on every log line of every
//!   function it reaches, carried through queues and outboxes with the X-Ray trace header.
//! - [`mail`] (feature `mail`): e-mails through SES, as MIME, sent once per event.
//! - [`messages`]: what services send each other over SQS, defined once for sender and consumer.
//! - [`metrics`]: metrics as CloudWatch Embedded Metric Format documents, written to the log.
//! - [`outbox`]: the transactional outbox: a message written with the change it announces, and
//!   the relay that sends it from the table's stream.
//! - [`money`]: integer minor units and a currency, with checked arithmetic.
//! - [`sqs`]: running an SQS consumer: process a batch, report only the messages that failed.
//! - [`store`]: each service's table, records mapped by `serde_dynamo`, and how a DynamoDB
//!   failure becomes a 503 or a 500.
//! - [`telemetry`]: JSON logs, each line carrying the request id and the journey it belongs to.

pub mod auth;
pub mod aws;
pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub mod invoke;
pub mod journey;
#[cfg(feature = "mail")]
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod money;
pub mod outbox;
pub mod sqs;
pub mod store;
pub mod telemetry;

/// The shop's name, as e-mails and documents give it.
pub const SHOP_NAME: &str = "Serverless Shop";
