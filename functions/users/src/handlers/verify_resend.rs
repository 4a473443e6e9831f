//! `POST /api/user/verify/resend`: e-mail the caller a new link to confirm their address (or the
//! one they asked to change to); at most one a minute and five a day (a 429 with `Retry-After`
//! beyond), so the route cannot be used to flood an inbox.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use time::OffsetDateTime;

use crate::store::{Resend, UserStore};

#[derive(Debug, Serialize)]
struct Queued<'a> {
    /// Where the e-mail goes.
    email: &'a str,
}

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let not_found = || ApiError::new(ErrorCode::UserNotFound, "your account no longer exists");
    let stored = store.find(&caller.username).await?.ok_or_else(not_found)?;
    let user = &stored.user;
    let Some(confirming) = stored.to_confirm() else {
        return Err(ApiError::new(
            ErrorCode::AlreadyVerified,
            format!("{} is confirmed already", user.email),
        ));
    };
    match store
        .request_verification(user, confirming, OffsetDateTime::now_utc())
        .await?
    {
        Resend::Queued => {
            tracing::info!(username = %user.username, "verification e-mail asked for again");
            let queued = Queued {
                email: confirming.address,
            };
            Ok(http::json(StatusCode::ACCEPTED, &queued))
        }
        Resend::TooSoon { retry_after } => Err(ApiError::new(
            ErrorCode::TooManyEmails,
            "a confirmation e-mail was sent a moment ago: please wait before asking for another",
        )
        .with_retry_after(retry_after)),
    }
}
