//! `DELETE /api/product/{id}`: retire a product. Administrators only.
//!
//! The product leaves the catalogue, its category's count and search, and can no longer be added
//! to an order; it stays readable by its slug (`"status": "retired"`), and orders that hold it keep
//! it. Retiring is idempotent: a retired product is answered as it is.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::http::{self, ApiError};

use crate::store::{Change, ProductStore};

pub async fn handle(store: &ProductStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    caller.require_admin()?;
    let slug = super::path_slug(&request)?;
    match store.retire(&slug).await? {
        Change::Done(product) => {
            tracing::info!(%slug, by = %caller.username, "product retired");
            Ok(http::json(StatusCode::OK, &product))
        }
        Change::Retired(product) => Ok(http::json(StatusCode::OK, &product)),
        other => super::answer(&slug, other),
    }
}
