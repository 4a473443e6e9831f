//! `POST /api/product/create`: add a product to the catalogue. Administrators only.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};

use crate::domain::{NewProduct, NewProductForm};
use crate::store::ProductStore;

pub async fn handle(store: &ProductStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    caller.require_admin()?;
    let form: NewProductForm = http::parse_body(&request)?;
    let new = NewProduct::try_from(form)?;
    if !store.insert(&new).await? {
        return Err(ApiError::new(
            ErrorCode::SlugTaken,
            format!(
                "a product with the slug {} already exists",
                new.product.slug
            ),
        ));
    }
    tracing::info!(slug = %new.product.slug, by = %caller.username, "product created");
    Ok(http::json(StatusCode::CREATED, &new.product))
}
