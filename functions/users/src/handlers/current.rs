//! `GET /api/user`: the caller's own account.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};

use crate::store::UserStore;

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let not_found = || ApiError::new(ErrorCode::UserNotFound, "your account no longer exists");
    let mut user = store
        .find(&caller.username)
        .await?
        .ok_or_else(not_found)?
        .user;
    // Accounts older than verification never proved their address.
    user.email_verified.get_or_insert(false);
    Ok(http::json(StatusCode::OK, &user))
}
