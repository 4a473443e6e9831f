//! `POST /api/user/email`: a signed-in customer asks to change their e-mail address. The current
//! password is required, as for a password change, and wrong ones count against the same limits
//! as failed log-ins ([`crate::throttle`]): whoever holds the address can reset the password, so
//! the address is as much the account as the password is.
//!
//! The address does not change yet: the account records the one asked for as pending, and a link
//! is e-mailed to it that the owner follows signed in ([`super::email_confirm`]). Until then
//! links, receipts and resets go to the address the account has, so the owner of a mistyped
//! address gains nothing by following the link, and the owner of a confirmed address is told of
//! the request. Asking for the address the account has cancels a pending change. Requests share
//! the quota of confirmation e-mails asked for again (one a minute, five a day), so the route
//! cannot be used to mail many inboxes. Sessions go on.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::{Email, EmailChange};
use crate::sign_in;
use crate::store::{Turn, UserStore};
use crate::throttle::EdgeKey;

pub async fn handle(
    store: &UserStore,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form: EmailChange = http::parse_body(&request)?;
    let email = Email::parse(&form.email).map_err(|problem| FieldErrors::one("email", problem))?;

    let now = OffsetDateTime::now_utc();
    let stored =
        sign_in::check_current_password(store, edge, &request, &caller, form.current_password, now)
            .await?;
    let changed_meanwhile = || {
        ApiError::new(
            ErrorCode::PasswordChanged,
            "your password, address or sessions changed at the same time: log in again",
        )
    };
    if stored.user.email == email.as_str() {
        if stored.user.pending_email.is_none() {
            return Err(FieldErrors::one("email", "is your address already"));
        }
        // Asking for the address the account has cancels the change it waits for (a second
        // cancel finds nothing to cancel, and says the same).
        if !store.cancel_email_change(&stored).await? {
            return Err(changed_meanwhile());
        }
        tracing::info!(username = %caller.username, "address change cancelled");
        let mut user = stored.user;
        user.pending_email = None;
        return Ok(http::json(StatusCode::OK, &user));
    }
    match store.change_email(&stored, &email, now).await? {
        Turn::Granted => {
            tracing::info!(username = %caller.username, "address change asked for");
            let mut user = stored.user;
            user.pending_email = Some(email.as_str().to_owned());
            Ok(http::json(StatusCode::ACCEPTED, &user))
        }
        Turn::TooSoon { retry_after } => Err(ApiError::new(
            ErrorCode::TooManyEmails,
            "a confirmation e-mail was sent a moment ago: please wait before changing your \
             address",
        )
        .with_retry_after(retry_after)),
        Turn::Refused => Err(changed_meanwhile()),
    }
}
