//! Every error the API answers, in one shape and from one table.
//!
//! A failure a client sees is an [`ApiError`]: `{"error": "<code>", "message": "<text>"}`, plus
//! `"fields"` naming each invalid field when a request fails validation. Its code is an
//! [`ErrorCode`], and the code decides the HTTP status, so a code cannot be answered with two
//! statuses. `openapi.yaml` lists the same codes (the contract test holds it to [`ErrorCode::ALL`]).
//! Domain errors implement [`HttpError`] and convert into an [`ApiError`] with `?`.

use std::collections::BTreeMap;

use lambda_http::http::StatusCode;

/// What a client is told about a fault of ours; the detail is in the log.
pub const INTERNAL_ERROR_MESSAGE: &str = "something went wrong on our side; it has been logged";

/// Declares [`ErrorCode`] from its table: variant, code as sent, HTTP status.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $status:ident;)*) => {
        /// A stable, machine-readable error code, and the HTTP status it is answered with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The code as the client sees it, such as `username_taken`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Self::$variant => StatusCode::$status,)*
                }
            }
        }
    };
}

error_codes! {
    /// A request that fails validation; `fields` says what is wrong with each field.
    ValidationFailed = "validation_failed", BAD_REQUEST;
    /// A body that parses but does not have the route's shape.
    InvalidBody = "invalid_body", BAD_REQUEST;
    MalformedJson = "malformed_json", BAD_REQUEST;
    EmptyBody = "empty_body", BAD_REQUEST;
    /// A `cursor` this API did not hand out.
    InvalidCursor = "invalid_cursor", BAD_REQUEST;
    InvalidLimit = "invalid_limit", BAD_REQUEST;
    InvalidStatus = "invalid_status", BAD_REQUEST;
    InvalidQuantity = "invalid_quantity", BAD_REQUEST;
    TooManyLines = "too_many_lines", BAD_REQUEST;
    CurrencyMismatch = "currency_mismatch", BAD_REQUEST;
    TotalTooLarge = "total_too_large", BAD_REQUEST;
    /// An e-mailed link's token that was used already, has expired, or was never issued.
    TokenInvalid = "token_invalid", BAD_REQUEST;
    /// No valid token; the message says why (missing, invalid, expired, logged out).
    Unauthorized = "unauthorized", UNAUTHORIZED;
    InvalidCredentials = "invalid_credentials", UNAUTHORIZED;
    Forbidden = "forbidden", FORBIDDEN;
    /// A path without a parameter its route needs.
    NotFound = "not_found", NOT_FOUND;
    UserNotFound = "user_not_found", NOT_FOUND;
    ProductNotFound = "product_not_found", NOT_FOUND;
    OrderNotFound = "order_not_found", NOT_FOUND;
    NoOpenOrder = "no_open_order", NOT_FOUND;
    LineNotFound = "line_not_found", NOT_FOUND;
    UsernameTaken = "username_taken", CONFLICT;
    SlugTaken = "slug_taken", CONFLICT;
    OrderEmpty = "order_empty", CONFLICT;
    OrderNotOpen = "order_not_open", CONFLICT;
    OrderNotCheckedOut = "order_not_checked_out", CONFLICT;
    OrderBusy = "order_busy", CONFLICT;
    /// The order changed since the customer reviewed it; nothing was charged.
    OrderChanged = "order_changed", CONFLICT;
    OrderNotPaid = "order_not_paid", CONFLICT;
    /// Someone changed the product since the version the edit names; nothing was written.
    ProductChanged = "product_changed", CONFLICT;
    /// The product is no longer sold: it cannot be edited or added to an order.
    ProductRetired = "product_retired", CONFLICT;
    /// Another request changed the password at the same moment; this one changed nothing.
    PasswordChanged = "password_changed", CONFLICT;
    /// The account's e-mail address is confirmed already.
    AlreadyVerified = "already_verified", CONFLICT;
    BodyTooLarge = "body_too_large", PAYLOAD_TOO_LARGE;
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE;
    /// Too many failed log-ins to one account; `Retry-After` says when to try again.
    TooManyAttempts = "too_many_attempts", TOO_MANY_REQUESTS;
    /// Too many e-mails asked for one account; `Retry-After` says when to ask again.
    TooManyEmails = "too_many_emails", TOO_MANY_REQUESTS;
    InternalError = "internal_error", INTERNAL_SERVER_ERROR;
    StorageUnavailable = "storage_unavailable", SERVICE_UNAVAILABLE;
    AuthUnavailable = "auth_unavailable", SERVICE_UNAVAILABLE;
    CatalogUnavailable = "catalog_unavailable", SERVICE_UNAVAILABLE;
    OrdersUnavailable = "orders_unavailable", SERVICE_UNAVAILABLE;
    ReceiptsUnavailable = "receipts_unavailable", SERVICE_UNAVAILABLE;
    /// The search index is not there yet, or its bucket does not answer; browsing still works.
    SearchUnavailable = "search_unavailable", SERVICE_UNAVAILABLE;
}

/// So a test can say `assert_eq!(err.code(), "username_taken")`, as a client would.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error type that knows what it means over HTTP: its code, and so its status.
pub trait HttpError: std::error::Error {
    fn code(&self) -> ErrorCode;

    /// What the client is told. Client errors explain themselves; a server error keeps its detail
    /// for the log and, unless it overrides this to say what is unavailable, tells the client only
    /// that the fault is ours.
    fn public_message(&self) -> String {
        if self.code().status().is_server_error() {
            INTERNAL_ERROR_MESSAGE.into()
        } else {
            self.to_string()
        }
    }
}

/// An error response: code (and so status), message and, for validation failures, the fields at
/// fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    fields: BTreeMap<String, String>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after: None,
        }
    }

    /// Tells the client, in `Retry-After`, how many seconds to wait before trying again.
    pub fn with_retry_after(self, seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            ..self
        }
    }

    /// A request that failed validation; `fields` maps each bad field to what is wrong with it.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let message = format!("invalid {}", names.join(", "));
        Self {
            fields,
            ..Self::new(ErrorCode::ValidationFailed, message)
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// What is wrong with each field, when the request failed validation.
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

/// Collects what is wrong with each field of a request, so one response can name them all.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// The 400 of a form with one field wrong: `field`, saying `problem`.
    pub fn one(field: &str, problem: impl Into<String>) -> ApiError {
        let mut fields = Self::default();
        fields.check::<()>(field, Err(problem.into()));
        fields.into_error()
    }

    /// The value if `result` holds one; otherwise notes the problem under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|problem| self.0.insert(field.to_owned(), problem))
            .ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A 400 naming every field noted so far.
    pub fn into_error(self) -> ApiError {
        ApiError::validation(self.0)
    }
}

impl<E: HttpError> From<E> for ApiError {
    fn from(err: E) -> Self {
        let code = err.code();
        if code.status().is_server_error() {
            tracing::error!(code = code.as_str(), error = %err, "request failed");
        }
        Self::new(code, err.public_message())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status().as_u16(),
            self.code,
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_4xx_or_5xx() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{text}"
            );
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection to db-7 refused")]
    struct Outage;

    impl HttpError for Outage {
        fn code(&self) -> ErrorCode {
            ErrorCode::StorageUnavailable
        }
        fn public_message(&self) -> String {
            "storage is unavailable".into()
        }
    }

    #[test]
    fn server_errors_keep_their_detail_out_of_the_response() {
        let err = ApiError::from(Outage);
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.message(), "storage is unavailable");
    }
}
