//! `GET /api/users?limit=&cursor=`: every account, for administrators, a page at a time in
//! username order. The cursor is opaque to clients: the URL-safe base64 of the last username.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::http::{self, ApiError};

use crate::domain::{User, Username};
use crate::store::UserStore;

pub const DEFAULT_LIMIT: i32 = 25;
pub const MAX_LIMIT: i32 = 100;

#[derive(Debug, Serialize)]
struct UsersPage {
    users: Vec<User>,
    next_cursor: Option<String>,
}

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    Caller::from_request(&request)?.require_admin()?;
    let limit = match http::query_parameter(&request, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let after = http::query_parameter(&request, "cursor")
        .map(decode_cursor)
        .transpose()?;
    let page = store.page(limit, after.as_ref()).await?;
    Ok(http::json(
        StatusCode::OK,
        &UsersPage {
            users: page.users,
            next_cursor: page.next.map(|last| URL_SAFE_NO_PAD.encode(last.as_str())),
        },
    ))
}

fn decode_cursor(raw: &str) -> Result<Username, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|name| Username::parse(&name).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                "cursor is not one this API returned; start again without it",
            )
        })
}
