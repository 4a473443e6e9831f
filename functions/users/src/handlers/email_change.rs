//! `POST /api/user/email`: a signed-in customer changes their e-mail address. The current
//! password is required, as for a password change, and wrong ones count against the same limits
//! as failed log-ins ([`crate::throttle`]): whoever holds the address can reset the password, so
//! the address is as much the account as the password is.
//!
//! The new address is unconfirmed, in the same write that sets it, and a confirmation e-mail is
//! queued for it; until it is confirmed the shop e-mails it nothing else. Changes share the quota
//! of confirmation e-mails asked for again (one a minute, five a day), so the route cannot be used
//! to mail many inboxes. Sessions go on: the account's owner changed nothing about who holds them.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::{Email, EmailChange};
use crate::sign_in;
use crate::store::{Resend, UserStore};
use crate::throttle::{Client, EdgeKey};

pub async fn handle(
    store: &UserStore,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form: EmailChange = http::parse_body(&request)?;
    let email = Email::parse(&form.email).map_err(|problem| FieldErrors::one("email", problem))?;

    let now = OffsetDateTime::now_utc();
    let client = Client::of(&request, edge);
    let checked = sign_in::check_password(
        store,
        Some(&caller.username),
        form.current_password,
        &client,
        now,
    )
    .await?;
    let Some(stored) = checked else {
        tracing::info!(username = %caller.username, "address change refused");
        return Err(FieldErrors::one(
            "current_password",
            "is not your current password",
        ));
    };
    let mut user = stored.user;
    if user.email == email.as_str() {
        return Err(FieldErrors::one("email", "is your address already"));
    }
    match store.change_email(&user, &email, now).await? {
        Resend::Queued => {
            tracing::info!(username = %user.username, "address changed; confirmation queued");
            email.as_str().clone_into(&mut user.email);
            user.email_verified = Some(false);
            Ok(http::json(StatusCode::OK, &user))
        }
        Resend::TooSoon { retry_after } => Err(ApiError::new(
            ErrorCode::TooManyEmails,
            "a confirmation e-mail was sent a moment ago: please wait before changing your \
             address",
        )
        .with_retry_after(retry_after)),
    }
}
