//! `POST /api/user/verify`: confirm an e-mail address with the token its e-mail's link carried.
//! No session needed (the link may be opened on another device); the token is the proof, and
//! works once. Expired, used, forged and malformed tokens get one answer.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use time::OffsetDateTime;

use crate::email::LinkToken;
use crate::store::UserStore;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyForm {
    token: String,
}

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let form: VerifyForm = http::parse_json_body(&request)?;
    let invalid = || {
        ApiError::new(
            ErrorCode::TokenInvalid,
            "this link does not work: it was used already, has expired, or its address changed since; \
             ask for a new one from your account page",
        )
    };
    let token = LinkToken::parse(&form.token).ok_or_else(invalid)?;
    let username = store
        .verify(&token, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(invalid)?;
    tracing::info!(%username, "e-mail address verified");
    Ok(http::no_content())
}
