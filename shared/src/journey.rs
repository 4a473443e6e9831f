//! One id for everything a customer's action sets off: the checkout's HTTP request, the messages
//! it leads to on three queues, and the e-mail at the end.
//!
//! Each entry point runs a request or a message [`within`] its journey: [`crate::http::serve`]
//! starts one per request (its id is API Gateway's request id, the access log's), and
//! [`crate::sqs::process_batch`] and the outbox relay carry on the one a message came with. Inside,
//! a tracing span puts `journey` (and `order_id`, once a handler names the order with
//! [`record_order`]) on every log line ([`crate::telemetry`] writes span fields into each line), and
//! a task-local lets [`crate::sqs::FifoQueue`] and [`crate::outbox::Outgoing`] hand it on: as the
//! [`ATTRIBUTE`] message attribute, and the X-Ray trace header as the `AWSTraceHeader` system
//! attribute, from which Lambda links the consumer's trace to the sender's. The journey is metadata
//! beside the message, never in its body: consumers refuse bodies with fields they do not know.

use std::cell::RefCell;
use std::future::Future;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::ids::is_lower_hex;

/// The SQS message attribute that carries a journey's id.
pub const ATTRIBUTE: &str = "journey";

/// A journey: its id, the trace header to hand on, and the order it is about once named. It is
/// stored as it is in an outbox item, for the relay to carry on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    id: String,
    /// This invocation's trace header, or the one an outbox item was written under (a stream
    /// record carries none). Kept as text and parsed when handed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
    /// The trace header this part of the journey came with, for the log.
    #[serde(skip)]
    upstream: Option<TraceHeader>,
}

impl Journey {
    /// A journey that starts in this invocation, traced by it.
    pub fn begin(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            trace: TraceHeader::of_invocation().map(String::from),
            order_id: None,
            upstream: None,
        }
    }

    /// The journey an HTTP request begins, named after API Gateway's id for it (the access
    /// log's, which the authorizer and the function are both given); a request without one
    /// (never from API Gateway) gets a fresh id.
    pub fn of_request(request_id: Option<String>) -> Self {
        Self::begin(request_id.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()))
    }

    /// A journey that came with a message, and the trace header the message came with: what
    /// this invocation sends on is traced by it, linked to that one.
    pub fn received(id: impl Into<String>, upstream: Option<TraceHeader>) -> Self {
        Self {
            upstream,
            ..Self::begin(id)
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The trace header to hand on, if there is a well-formed one.
    pub fn trace(&self) -> Option<TraceHeader> {
        self.trace.as_deref().and_then(TraceHeader::parse)
    }

    pub fn order_id(&self) -> Option<&str> {
        self.order_id.as_deref()
    }
}

/// The journey being run (its order named as the work goes on), and the span its lines are
/// written in.
struct Current {
    journey: RefCell<Journey>,
    span: tracing::Span,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// Runs `work` within `journey`: every line it logs carries the journey's id (and the order's,
/// and the root of the trace it came with), and every message it sends or writes to an outbox
/// carries the journey on.
pub async fn within<F: Future>(journey: Journey, work: F) -> F::Output {
    let span = tracing::info_span!(
        "journey",
        journey = %journey.id,
        order_id = journey.order_id.as_deref(),
        upstream = journey.upstream.as_ref().map(TraceHeader::root),
    );
    let current = Current {
        journey: RefCell::new(journey),
        span: span.clone(),
    };
    CURRENT.scope(current, work.instrument(span)).await
}

/// Whether `text` may be a journey's id, which goes on every log line: up to 64 letters, digits,
/// `-`, `_` and `=` (API Gateway's request ids, and SQS's message ids).
pub fn is_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
}

/// The journey being run, if any (none outside an entry point, as in a command-line tool).
pub fn current() -> Option<Journey> {
    CURRENT
        .try_with(|current| current.journey.borrow().clone())
        .ok()
}

/// Names the order the journey is about: on every line it logs from here on, and on what it
/// writes to an outbox.
pub fn record_order(order_id: &str) {
    let _outside_a_journey = CURRENT.try_with(|current| {
        current.journey.borrow_mut().order_id = Some(order_id.to_owned());
        current.span.record("order_id", order_id);
    });
}

/// An X-Ray trace header, `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`. SQS refuses a
/// message whose `AWSTraceHeader` is malformed, so only a header that parses is handed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader(String);

impl TraceHeader {
    /// `text` if it is a well-formed trace header: a valid root, and a valid parent and
    /// sampling decision if it has them (other fields, such as `Lineage`, are kept as they are).
    pub fn parse(text: &str) -> Option<Self> {
        let mut root = None;
        for part in text.split(';') {
            let (key, value) = part.split_once('=')?;
            let valid = match key {
                "Root" => {
                    root = Some(value);
                    true
                }
                "Parent" => is_lower_hex(value, 16),
                "Sampled" => matches!(value, "0" | "1" | "?"),
                _ => !value.is_empty(),
            };
            if !valid {
                return None;
            }
        }
        let mut root = root?.split('-');
        let valid = root.next() == Some("1")
            && root.next().is_some_and(|time| is_lower_hex(time, 8))
            && root.next().is_some_and(|random| is_lower_hex(random, 24))
            && root.next().is_none();
        valid.then(|| Self(text.to_owned()))
    }

    /// This invocation's trace header, which the Lambda runtime sets in `_X_AMZN_TRACE_ID` for
    /// each invocation.
    pub fn of_invocation() -> Option<Self> {
        std::env::var("_X_AMZN_TRACE_ID")
            .ok()
            .and_then(|text| Self::parse(&text))
    }

    /// The trace's id, `1-<8 hex>-<24 hex>`.
    pub fn root(&self) -> &str {
        self.0
            .split(';')
            .find_map(|part| part.strip_prefix("Root="))
            .unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<TraceHeader> for String {
    fn from(header: TraceHeader) -> Self {
        header.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    #[test]
    fn a_trace_header_parses_only_when_well_formed() {
        let header = TraceHeader::parse(HEADER).unwrap();
        assert_eq!(header.root(), "1-5759e988-bd862e3fe1be46a994272793");
        assert!(TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793").is_some());
        assert!(TraceHeader::parse(&format!("{HEADER};Lineage=a87bd80c:1")).is_some());
        for bad in [
            "",
            "Root=1-17-abc",
            "Root=1-5759e988-bd862e3fe1be46a99427279",
            "Root=2-5759e988-bd862e3fe1be46a994272793",
            "Root=1-5759E988-bd862e3fe1be46a994272793",
            "Parent=53995c3f42cd8ad8;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=yes",
            "Root=1-0-seq-uuid",
        ] {
            assert_eq!(TraceHeader::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_id_is_short_and_plain() {
        assert!(is_id("JKJbR3PLvHcESHB="));
        assert!(is_id("059f36b4-87a3-44ab-83d2-661975830a7d"));
        assert!(!is_id(""));
        assert!(!is_id("a\"b"));
        assert!(!is_id(&"a".repeat(65)));
    }

    #[tokio::test]
    async fn the_journey_is_current_only_within_it_and_keeps_its_order() {
        assert_eq!(current(), None);
        let journey = Journey::received("req-1", TraceHeader::parse(HEADER));
        let seen = within(journey, async {
            record_order("0123");
            current()
        })
        .await
        .unwrap();
        assert_eq!((seen.id(), seen.order_id()), ("req-1", Some("0123")));
        assert_eq!(current(), None);
        record_order("outside: nothing happens");
        // As an outbox item keeps it: the order and the trace travel, the upstream does not.
        let stored: Journey = serde_json::from_str(&serde_json::to_string(&seen).unwrap()).unwrap();
        assert_eq!(stored.order_id(), Some("0123"));
        assert_eq!(stored.upstream, None);
    }
}
