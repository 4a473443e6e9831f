//! `POST /api/user/login`: exchange a username and password for a session token.
//!
//! An unknown username and a wrong password get the same 401 after the same amount of hashing, so
//! this route cannot be used to find out which usernames exist. Before any password is checked
//! the attempt reserves itself against the counts of recent failures (see [`crate::throttle`]):
//! too many, and the answer is a 429 with `Retry-After`, whether the password was right or not.

use lambda_http::{Body, Request, Response};
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::metrics::{self, Metric};
use time::OffsetDateTime;

use crate::domain::{Credentials, Username};
use crate::keys::SigningKeys;
use crate::sign_in;
use crate::store::UserStore;
use crate::throttle::{Client, EdgeKey};

pub async fn handle(
    store: &UserStore,
    keys: &SigningKeys,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let credentials: Credentials = http::parse_body(&request)?;
    let username = Username::parse(&credentials.username).ok();
    let now = OffsetDateTime::now_utc();
    let client = Client::of(&request, edge);
    let checked =
        sign_in::check_password(store, username.as_ref(), credentials.password, &client, now)
            .await
            .inspect_err(|err| {
                if err.code() == ErrorCode::TooManyAttempts {
                    refused("throttled");
                }
            })?;
    let Some(user) = checked else {
        tracing::info!("log-in refused");
        refused("invalid_credentials");
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "the username or password is wrong",
        ));
    };
    let username = user.user.username.clone();
    let response = sign_in::start_session(store, keys, user, now).await?;
    tracing::info!(username = %username, "logged in");
    Ok(response)
}

fn refused(reason: &'static str) {
    metrics::record(Metric::LoginsRefused { reason });
}
