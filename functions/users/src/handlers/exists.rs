//! `GET /api/user/{username}/exists`: whether a username is taken, for live feedback while
//! registering. 200 `{"exists": true}` or 404.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};

use crate::domain::Username;
use crate::store::UserStore;

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let raw = http::path_parameter(&request, "username")?;
    let mut fields = FieldErrors::default();
    let username = fields
        .check("username", Username::parse(&raw))
        .ok_or_else(|| fields.into_error())?;
    if store.exists(&username).await? {
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
