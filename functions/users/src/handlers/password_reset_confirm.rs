//! `POST /api/user/password-reset/confirm`: set a new password with the token a reset e-mail's
//! link carried. The token works once, for 30 minutes, and only while the account's address,
//! password and sessions are as they were when it was sent. Every session of the account ends;
//! the customer then logs in with the new password (a reset does not sign anyone in).

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::{Password, Secret};
use crate::email::LinkToken;
use crate::password;
use crate::store::UserStore;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmForm {
    token: String,
    new_password: Secret,
}

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let form: ConfirmForm = http::parse_json_body(&request)?;
    let invalid = || {
        ApiError::new(
            ErrorCode::TokenInvalid,
            "this link does not work: it was used already, has expired, or the account changed since; \
             ask for a new one",
        )
    };
    let token = LinkToken::parse(&form.token).ok_or_else(invalid)?;
    let now = OffsetDateTime::now_utc();
    let reset = store.reset_link(&token, now).await?.ok_or_else(invalid)?;
    let chosen = Password::choose(form.new_password.into_inner(), reset.username.as_str());
    let new_password = chosen.map_err(|problem| FieldErrors::one("new_password", problem))?;
    let new_hash = password::hash(new_password).await?;
    if !store.reset_password(&token, &reset, new_hash, now).await? {
        return Err(invalid());
    }
    tracing::info!(username = %reset.username, "password reset; every session ended");
    Ok(http::no_content())
}
