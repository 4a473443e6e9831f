//! What a function answered to one invocation, in a word: the HTTP status, the batch's verdict,
//! the authorizer's. A warm call's figures are only the path it measured: 200 warm calls that
//! answer 404 measure a refusal, not a read, and the report says so.

use crate::local::runtime::Outcome;

/// One answer, as the report counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answer {
    /// An HTTP response's status code.
    Status(u16),
    /// A batch with every record processed.
    BatchDone,
    /// A batch with this many records reported failed.
    BatchFailed(usize),
    /// The authorizer's verdict: whether it authenticated the caller.
    Authorized(bool),
    /// Any other payload the function returned.
    Returned,
    /// The function reported an error, or timed out.
    Error,
}

impl Answer {
    pub(super) fn of(outcome: &Outcome) -> Self {
        let payload = match outcome {
            Outcome::Response(payload) => payload,
            Outcome::Error(_) => return Self::Error,
        };
        let Ok(response) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return Self::Returned;
        };
        if let Some(status) = response
            .get("statusCode")
            .and_then(serde_json::Value::as_u64)
        {
            return Self::Status(u16::try_from(status).unwrap_or(u16::MAX));
        }
        if let Some(failures) = response
            .get("batchItemFailures")
            .and_then(serde_json::Value::as_array)
        {
            return match failures.len() {
                0 => Self::BatchDone,
                failed => Self::BatchFailed(failed),
            };
        }
        // The authorizer lets every request through and puts its verdict in the context
        // (`shared::auth::AuthContext`): authenticated, or anonymous and why.
        if let Some(status) = response.pointer("/context/status") {
            return Self::Authorized(status == "authenticated");
        }
        Self::Returned
    }

    /// Whether the function failed: an error, a 5xx, or a record it could not process. A 4xx it
    /// chose to answer (a second registration's 409) is an answer, not a failure.
    pub(super) fn failed(&self) -> bool {
        match self {
            Self::Status(status) => *status >= 500,
            Self::BatchFailed(_) | Self::Error => true,
            Self::BatchDone | Self::Authorized(_) | Self::Returned => false,
        }
    }

    /// Whether it did what the event asked: a 2xx or 3xx, a batch done, a caller let in.
    pub(super) fn succeeded(&self) -> bool {
        match self {
            Self::Status(status) => *status < 400,
            Self::BatchDone | Self::Authorized(true) | Self::Returned => true,
            Self::BatchFailed(_) | Self::Authorized(false) | Self::Error => false,
        }
    }

    /// Whether it declined the event's work without failing: a 4xx, an anonymous caller.
    pub(super) fn refused(&self) -> bool {
        !self.succeeded() && !self.failed()
    }

    /// The word the report uses.
    pub(super) fn label(&self) -> String {
        match self {
            Self::Status(status) => status.to_string(),
            Self::BatchDone => "batch done".into(),
            Self::BatchFailed(failed) => format!("{failed} records failed"),
            Self::Authorized(true) => "authorized".into(),
            Self::Authorized(false) => "anonymous".into(),
            Self::Returned => "returned".into(),
            Self::Error => "error".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use hyper::body::Bytes;

    use super::{Answer, Outcome};

    fn answer(json: &'static str) -> Answer {
        Answer::of(&Outcome::Response(Bytes::from_static(json.as_bytes())))
    }

    #[test]
    fn an_http_answer_is_its_status() {
        let not_found = answer(r#"{"statusCode":404,"body":"{}"}"#);
        assert_eq!(not_found, Answer::Status(404));
        assert!(not_found.refused() && !not_found.failed() && !not_found.succeeded());
        assert!(answer(r#"{"statusCode":503}"#).failed());
        assert!(!answer(r#"{"statusCode":503}"#).refused());
        assert!(answer(r#"{"statusCode":201}"#).succeeded());
    }

    #[test]
    fn a_batch_answer_counts_its_failed_records() {
        assert_eq!(answer(r#"{"batchItemFailures":[]}"#), Answer::BatchDone);
        let failed = answer(r#"{"batchItemFailures":[{"itemIdentifier":"a"}]}"#);
        assert_eq!(failed, Answer::BatchFailed(1));
        assert!(failed.failed());
        assert_eq!(failed.label(), "1 records failed");
    }

    #[test]
    fn the_authorizers_answer_is_whether_it_authenticated_the_caller() {
        let user = answer(r#"{"isAuthorized":true,"context":{"status":"authenticated"}}"#);
        assert_eq!(user, Answer::Authorized(true));
        let anonymous =
            answer(r#"{"isAuthorized":true,"context":{"status":"anonymous","reason":"expired"}}"#);
        assert!(!anonymous.succeeded() && !anonymous.failed());
    }

    #[test]
    fn an_error_fails() {
        let error = Answer::of(&Outcome::Error(Bytes::from_static(b"{}")));
        assert!(error.failed() && !error.succeeded() && !error.refused());
        assert!(!answer("null").failed());
    }
}
