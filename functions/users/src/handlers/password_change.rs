//! `POST /api/user/password`: a signed-in customer changes their password. The current password
//! is required, so a token alone (left in a shared browser, say) cannot take the account over.
//!
//! The change ends every session of the account, this one included, in the same write as the
//! new hash, and answers as a log-in does with a new session: this browser stays signed in, every
//! other one is signed out at its next request. A confirmed address is told of the change (a
//! notice through the outbox, in the same transaction), so an owner whose password someone else
//! changed hears of it. Wrong current passwords count against the same
//! limits as failed log-ins ([`crate::throttle`]), so a stolen token cannot guess at speed either.
//! If the function dies between the change and the new session, the password has changed and
//! the customer logs in again with it.

use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::{Password, PasswordChange};
use crate::keys::SigningKeys;
use crate::password;
use crate::sign_in;
use crate::store::UserStore;
use crate::throttle::EdgeKey;

pub async fn handle(
    store: &UserStore,
    keys: &SigningKeys,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form: PasswordChange = http::parse_body(&request)?;
    let unchanged = form.new_password.expose() == form.current_password.expose();
    let chosen = Password::choose(form.new_password.into_inner(), caller.username.as_str());
    let new_password = chosen.map_err(|problem| FieldErrors::one("new_password", problem))?;

    let now = OffsetDateTime::now_utc();
    let user =
        sign_in::check_current_password(store, edge, &request, &caller, form.current_password, now)
            .await?;
    if unchanged {
        return Err(FieldErrors::one(
            "new_password",
            "must differ from your current password",
        ));
    }

    let new_hash = password::hash(new_password).await?;
    let changed = store
        .change_password(&user, new_hash, now)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PasswordChanged,
                "your account was changed by another request at the same time: log in again",
            )
        })?;
    tracing::info!(username = %caller.username, "password changed; every session ended");
    sign_in::start_session(store, keys, changed, now).await
}
