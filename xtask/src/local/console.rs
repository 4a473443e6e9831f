//! Where the local shop writes what happens: a line per request and delivery, each function's
//! log lines, and the operator page's record of them all.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use super::observer::Observer;

/// Every line the functions wrote, kept by a [`Console::capturing`] console.
pub type Captured = Arc<std::sync::Mutex<Vec<String>>>;

/// Where the local shop writes what happens: a line per request and each function's log lines.
#[derive(Debug, Clone, Default)]
pub struct Console {
    /// A line per request and per queue delivery.
    pub requests: bool,
    /// Each function's own log lines.
    pub function_logs: bool,
    /// Where every function log line is also kept, printed or not (tests read them).
    pub capture: Option<Captured>,
    /// What the operator page shows: every request, invocation, line and metric, kept whatever
    /// is printed.
    pub(crate) observer: Arc<Observer>,
}

impl Console {
    /// Prints nothing.
    pub fn quiet() -> Self {
        Self::default()
    }

    /// Prints a line per request and delivery, and each function's log lines if
    /// `function_logs`.
    pub fn printing(function_logs: bool) -> Self {
        Self {
            requests: true,
            function_logs,
            ..Self::default()
        }
    }

    /// Prints nothing, and keeps every function log line in what it returns beside it.
    pub fn capturing() -> (Self, Captured) {
        let captured = Captured::default();
        let console = Self {
            capture: Some(Arc::clone(&captured)),
            ..Self::default()
        };
        (console, captured)
    }

    fn write(&self, line: &str) {
        let _ignored = writeln!(std::io::stdout().lock(), "{line}");
    }

    /// `GET /api/products  product-list  200  12 ms`.
    pub fn request(&self, method: &str, path: &str, function: &str, status: u16, started: Instant) {
        self.observer.request(
            format!("{method} {path}"),
            function,
            status.to_string(),
            Some(started.elapsed()),
        );
        if !self.requests {
            return;
        }
        let millis = started.elapsed().as_millis();
        self.write(&format!(
            "{method:<6} {path:<44} {function:<22} {status}  {millis} ms"
        ));
    }

    pub fn function_line(&self, function: &str, line: &str) {
        self.observer.line(function, line);
        if let Some(capture) = &self.capture
            && let Ok(mut lines) = capture.lock()
        {
            lines.push(format!("[{function}] {line}"));
        }
        if self.function_logs {
            self.write(&format!("  [{function}] {line}"));
        }
    }

    pub(super) fn queue(&self, queue: &str, function: &str, delivered: usize, failed: usize) {
        self.observer.request(
            format!("Delivery from {queue}"),
            function,
            format!("{delivered} message(s), {failed} failed"),
            None,
        );
        if !self.requests {
            return;
        }
        self.write(&format!(
            "SQS    {queue:<44} {function:<22} {delivered} message(s), {failed} failed"
        ));
    }
}
