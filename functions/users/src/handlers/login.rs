//! `POST /api/user/login`: exchange a username and password for a session token.
//!
//! An unknown username and a wrong password get the same 401 after the same amount of hashing, so
//! this route cannot be used to find out which usernames exist. Before any password is checked
//! the attempt reserves itself against the counts of recent failures (see [`crate::throttle`]):
//! too many, and the answer is a 429 with `Retry-After`, whether the password was right or not.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::{Credentials, Password, User, Username};
use crate::keys::SigningKeys;
use crate::password;
use crate::store::{StoredUser, UserStore};
use crate::throttle::{Client, EdgeKey};

#[derive(Debug, Serialize)]
struct LoggedIn {
    token: String,
    token_type: &'static str,
    /// RFC 3339, UTC.
    expires_at: String,
    expires_in: i64,
    user: User,
}

pub async fn handle(
    store: &UserStore,
    keys: &SigningKeys,
    edge: &EdgeKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let credentials: Credentials = http::parse_body(&request)?;
    let username = Username::parse(&credentials.username).ok();
    let now = OffsetDateTime::now_utc();
    let limiter = store.limiter();
    let attempt = limiter
        .reserve(username.as_ref(), &Client::of(&request, edge), now)
        .await?;
    let stored = match &username {
        Some(username) => store.find(username).await?,
        None => None,
    };
    let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
    let matches = match Password::candidate(credentials.password) {
        Some(candidate) => password::verify(candidate, hash).await,
        None => false,
    };
    let (Some(stored), true) = (stored, matches) else {
        tracing::info!("log-in refused");
        limiter.failed(attempt, now).await?;
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "the username or password is wrong",
        ));
    };

    limiter.forgive(attempt, now).await;
    tracing::info!(username = %stored.user.username, "logged in");
    signed_in(store, keys, stored, now).await
}

/// Starts a session of `user` and answers with its token, as a log-in does.
pub(crate) async fn signed_in(
    store: &UserStore,
    keys: &SigningKeys,
    user: StoredUser,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let session_id = uuid::Uuid::new_v4().simple().to_string();
    let issued = keys
        .signing()
        .await
        .issue(&user.user.username, &session_id, now)?;
    store
        .start_session(&session_id, &user, issued.expires_at)
        .await?;
    Ok(http::json(
        StatusCode::OK,
        &LoggedIn {
            token: issued.token,
            token_type: "Bearer",
            expires_at: issued.expires_at.format(&Rfc3339).unwrap_or_default(),
            expires_in: (issued.expires_at - now).whole_seconds(),
            user: user.user,
        },
    ))
}
