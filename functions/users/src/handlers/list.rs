//! `GET /api/users?limit=&cursor=`: every account, for administrators, a page at a time in
//! username order. The cursor is opaque to clients; it holds the last username of the page.

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
    let limit = http::page_limit(&request, DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = http::query_parameter(&request, "cursor")
        .map(|raw| {
            let parts = http::decode_cursor(raw, 1)?;
            Username::parse(&parts[0]).map_err(|_| http::invalid_cursor())
        })
        .transpose()?;
    let page = store.page(limit, after.as_ref()).await?;
    Ok(http::json(
        StatusCode::OK,
        &UsersPage {
            users: page.users,
            next_cursor: page.next.map(|last| http::encode_cursor(&[last.as_str()])),
        },
    ))
}
