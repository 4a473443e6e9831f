//! `POST /api/user/email/confirm`: the signed-in owner confirms a change of address with the
//! token of the link e-mailed to the new address. The session is required, as well as the token:
//! whoever reads a mistyped address's mailbox has the link but not the account, and must not be
//! able to attach their address to it. The former address, if confirmed, is told. Expired,
//! used, forged and other accounts' tokens get one answer.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use time::OffsetDateTime;

use crate::email::LinkToken;
use crate::store::UserStore;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmForm {
    token: String,
}

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form: ConfirmForm = http::parse_json_body(&request)?;
    let invalid = || {
        ApiError::new(
            ErrorCode::TokenInvalid,
            "this link does not work: it was used already, has expired, is for another account, or \
             your account no longer waits for this address; ask again from your account page",
        )
    };
    let token = LinkToken::parse(&form.token).ok_or_else(invalid)?;
    let user = store
        .confirm_email_change(&token, &caller.username, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(invalid)?;
    tracing::info!(username = %caller.username, "address changed");
    Ok(http::json(StatusCode::OK, &user))
}
