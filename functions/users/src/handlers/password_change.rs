//! `POST /api/user/password`: a signed-in customer changes their password. The current password
//! is required, so a token alone (left in a shared browser, say) cannot take the account over.
//!
//! The change ends every session of the account, this one included, in the same write as the
//! new hash, and answers as a log-in does with a new session: this browser stays signed in, every
//! other one is signed out at its next request. Wrong current passwords count against the same
//! limits as failed log-ins ([`crate::throttle`]), so a stolen token cannot guess at speed either.
//! If the function dies between the change and the new session, the password has changed and
//! the customer logs in again with it.

use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::{Password, PasswordChange};
use crate::handlers::login::signed_in;
use crate::keys::SigningKeys;
use crate::password;
use crate::store::UserStore;
use crate::throttle::{Client, EdgeKey};

pub async fn handle(
    store: &UserStore,
    keys: &SigningKeys,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form: PasswordChange = http::parse_body(&request)?;
    let unchanged = form.new_password == form.current_password;
    let mut fields = FieldErrors::default();
    let chosen = Password::choose(form.new_password, caller.username.as_str());
    let Some(new_password) = fields.check("new_password", chosen) else {
        return Err(fields.into_error());
    };

    let now = OffsetDateTime::now_utc();
    let limiter = store.limiter();
    let attempt = limiter
        .reserve(Some(&caller.username), &Client::of(&request, edge), now)
        .await?;
    let stored = store.find(&caller.username).await?;
    let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
    let matches = match Password::candidate(form.current_password) {
        Some(candidate) => password::verify(candidate, hash).await,
        None => false,
    };
    let (Some(stored), true) = (stored, matches) else {
        tracing::info!(username = %caller.username, "password change refused");
        limiter.failed(attempt, now).await?;
        return Err(field_error(
            "current_password",
            "is not your current password",
        ));
    };
    limiter.forgive(attempt, now).await;
    if unchanged {
        return Err(field_error(
            "new_password",
            "must differ from your current password",
        ));
    }

    let new_hash = password::hash(new_password).await?;
    let changed = store
        .change_password(&stored, new_hash)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PasswordChanged,
                "your password was changed by another request at the same time: log in again",
            )
        })?;
    tracing::info!(username = %caller.username, "password changed; every session ended");
    signed_in(store, keys, changed, now).await
}

/// A 400 naming one field, as a form shows it.
fn field_error(field: &str, problem: &str) -> ApiError {
    let mut fields = FieldErrors::default();
    fields.check::<()>(field, Err(problem.to_owned()));
    fields.into_error()
}
