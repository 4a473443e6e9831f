//! Logs: one JSON object per line on stdout, which Lambda ships to CloudWatch.
//!
//! Each line holds its time, level and message, its own fields, and the fields of every span it
//! was written in, flattened into the line: the Lambda runtime's span per invocation gives
//! `requestId` (and `xrayTraceId` on AWS), a [`crate::journey`] gives `journey` and `order_id`.
//! So every line of one order's journey, in whichever function, is found by one field, with a
//! query such as `filter journey = "…"` in CloudWatch Logs Insights.

use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{self, FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Crates whose debug output would echo request and response bodies (which hold password hashes
/// and tokens), capped whatever level the operator asks for.
///
/// The Lambda runtime's own trace output includes every raw event, passwords and card numbers in
/// request bodies among them (found by the journey test, which runs at `trace` and reads the logs).
const CAPPED: &[(&str, LevelFilter)] = &[
    ("lambda_runtime", LevelFilter::INFO),
    ("lambda_runtime_api_client", LevelFilter::INFO),
    ("lambda_http", LevelFilter::INFO),
    ("aws_smithy_runtime", LevelFilter::INFO),
    ("aws_smithy_http_client", LevelFilter::INFO),
    ("aws_sdk_dynamodb", LevelFilter::INFO),
    ("aws_config", LevelFilter::WARN),
    ("hyper", LevelFilter::INFO),
    ("hyper_util", LevelFilter::INFO),
    ("rustls", LevelFilter::INFO),
    ("h2", LevelFilter::INFO),
];

/// Installs the JSON log subscriber. Level: `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` (a plain
/// level such as `debug`), else `info`. Calling it again is harmless, which tests rely on.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| LevelFilter::from_str(level.trim()).ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = Targets::new().with_default(level).with_targets(
        CAPPED
            .iter()
            .map(|(target, cap)| (*target, (*cap).min(level))),
    );
    let _already_set = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .with_writer(std::io::stdout),
        )
        .with(filter)
        .try_init();
}

/// A line as one flat JSON object: the fields of the spans it was written in (outermost first, so
/// an inner span's field wins), then its own, `message` among them, then `timestamp` and `level`.
struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = Map::new();
        for span in ctx
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            let extensions = span.extensions();
            // `JsonFields` keeps each span's fields as a JSON object's text.
            if let Some(fields) = extensions.get::<FormattedFields<N>>()
                && let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields)
            {
                line.extend(fields);
            }
        }
        event.record(&mut Fields(&mut line));
        // Last, so that no field of the same name replaces them: Lambda filters lines by level.
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        line.insert("timestamp".into(), Value::String(now));
        line.insert(
            "level".into(),
            Value::String(event.metadata().level().as_str().into()),
        );
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// An event's fields into a JSON object.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        self.0.insert(field.name().to_owned(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _infallible = write!(text, "{value:?}");
        self.put(field, Value::String(text));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Lines written, kept for the test to read.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_carries_the_fields_of_every_span_it_is_written_in() {
        let written = Written::default();
        let writer = written.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            let invocation = tracing::info_span!("Lambda runtime invoke", requestId = "req-7");
            let _invocation = invocation.enter();
            let journey = tracing::info_span!(
                "journey",
                journey = "api-1",
                order_id = tracing::field::Empty
            );
            let _journey = journey.enter();
            journey.record("order_id", "0123abcd\"\n");
            tracing::info!(
                status = 201,
                paid = true,
                level = "mine",
                "checkout requested"
            );
        });
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["requestId"], "req-7");
        assert_eq!(line["journey"], "api-1");
        assert_eq!(line["order_id"], "0123abcd\"\n", "escaped, on its one line");
        assert_eq!(line["message"], "checkout requested");
        assert_eq!(line["status"], 201);
        assert_eq!(line["paid"], true);
        assert_eq!(line["level"], "INFO");
        assert!(line["timestamp"].as_str().unwrap().contains('T'), "{line}");
        assert_eq!(text.lines().count(), 1);
    }
}
