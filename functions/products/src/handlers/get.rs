//! `GET /api/product/{id}`: one product by its slug. Public.
//!
//! A retired product is still answered (`"status": "retired"`), so links from old orders lead
//! somewhere. The orders service invokes this function too, with the same HTTP API event, to
//! price an item from the catalogue's current data.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::{self, ApiError};

use crate::store::ProductStore;

pub async fn handle(store: &ProductStore, request: Request) -> Result<Response<Body>, ApiError> {
    let slug = super::path_slug(&request)?;
    let product = store
        .get(&slug)
        .await?
        .ok_or_else(|| super::not_found(slug.as_str()))?;
    Ok(super::shared_by_callers(http::json(
        StatusCode::OK,
        &product,
    )))
}
