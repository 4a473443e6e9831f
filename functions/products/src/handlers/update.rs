//! `PUT /api/product/{id}`: change a product's name, description, image, price and category.
//! Administrators only.
//!
//! The body names the version the administrator saw; if the product changed since, nothing is
//! written and the answer is a 409 (`product_changed`). Orders already placed keep the name and
//! price they were placed with.

use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::http::{self, ApiError};

use crate::domain::{Edit, ProductEditForm};
use crate::store::{Change, ProductStore};

pub async fn handle(store: &ProductStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    caller.require_admin()?;
    let slug = super::path_slug(&request)?;
    let form: ProductEditForm = http::parse_body(&request)?;
    let edit = Edit::try_from(form)?;
    let change = store.update(&slug, &edit).await?;
    if let Change::Done(product) = &change {
        tracing::info!(%slug, version = product.version, by = %caller.username, "product updated");
    }
    super::answer(&slug, change)
}
