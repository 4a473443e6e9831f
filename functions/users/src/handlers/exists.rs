//! `GET /api/user/{username}/exists`: whether a username is taken, for live feedback while
//! registering. 200 `{"exists": true}` or 404. A recently deleted account's name is taken too
//! (see [`crate::tombstone`]), as registration would find it.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;

use crate::domain::Username;
use crate::pseudonym::PseudonymKey;
use crate::store::UserStore;

pub async fn handle(
    store: &UserStore,
    tombstones: &PseudonymKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let raw = http::path_parameter(&request, "username")?;
    let mut fields = FieldErrors::default();
    let username = fields
        .check("username", Username::parse(&raw))
        .ok_or_else(|| fields.into_error())?;
    let now = OffsetDateTime::now_utc();
    let (exists, tombstoned) = tokio::try_join!(
        store.exists(&username),
        store.is_tombstoned(tombstones, &username, now)
    )?;
    if exists || tombstoned {
        Ok(http::json(
            StatusCode::OK,
            &serde_json::json!({ "exists": true }),
        ))
    } else {
        Err(ApiError::new(
            ErrorCode::UserNotFound,
            format!("no user is named {username}"),
        ))
    }
}
