//! `POST /api/user/password-reset`: e-mail a link that sets a new password to the account a
//! username or an address names. The answer is the same whether or not such an account exists,
//! and takes the same time: the route only queues the request (one write, limited per client
//! address); the sender (`user-password-reset-email`) finds the accounts, and limits links per
//! account.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::{Email, Username};
use crate::email::RESET_FOR;
use crate::store::{Resend, UserStore};
use crate::throttle::{Client, EdgeKey};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetForm {
    /// A username or an e-mail address.
    login: String,
}

#[derive(Debug, Serialize)]
struct Queued {
    message: String,
}

pub async fn handle(
    store: &UserStore,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let form: ResetForm = http::parse_json_body(&request)?;
    // Only the shape is checked, which says nothing of whether an account has it; and only a
    // login of that shape is queued (a queue refuses some characters a JSON string may hold).
    let login = form.login.trim();
    if Username::parse(login).is_err() && Email::parse(login).is_err() {
        return Err(FieldErrors::one(
            "login",
            "must be a username or an e-mail address such as ada@example.com",
        ));
    }
    let client = Client::of(&request, edge);
    match store
        .request_reset(&client, login, OffsetDateTime::now_utc())
        .await?
    {
        Resend::Queued => {
            tracing::info!("password reset asked for");
            let minutes = RESET_FOR.as_secs() / 60;
            Ok(http::json(
                StatusCode::ACCEPTED,
                &Queued {
                    message: format!(
                        "If an account has that username or address, we e-mailed it a link to choose a new \
                         password. The link works for {minutes} minutes."
                    ),
                },
            ))
        }
        Resend::TooSoon { retry_after } => Err(ApiError::new(
            ErrorCode::TooManyEmails,
            "too many password resets were asked for from your network: please wait before asking again",
        )
        .with_retry_after(retry_after)),
    }
}
