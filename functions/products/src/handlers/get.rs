//! `GET /api/product/{id}`: one product by its slug. Public.
//!
//! The orders service invokes this function too, with the same HTTP API event, to price an item
//! from the catalogue's current data.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::{self, ApiError};

use crate::store::ProductStore;
use shared::error::ErrorCode;
use shared::ids::ProductId;

pub async fn handle(store: &ProductStore, request: Request) -> Result<Response<Body>, ApiError> {
    let id = http::path_parameter(&request, "id")?;
    let not_found = || {
        ApiError::new(
            ErrorCode::ProductNotFound,
            format!("there is no product {id:?}"),
        )
    };
    // A malformed slug cannot name a product: same answer as an unknown one.
    let slug = ProductId::parse(&id).map_err(|_| not_found())?;
    let product = store.get(&slug).await?.ok_or_else(not_found)?;
    Ok(http::json(StatusCode::OK, &product))
}
