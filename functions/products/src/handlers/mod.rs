//! One module per Lambda function, named as its binary.
//!
//! | route                        | binary               | module         |
//! |------------------------------|----------------------|----------------|
//! | `GET /api/products`          | `product-list`       | [`list`]       |
//! | `GET /api/categories`        | `product-categories` | [`categories`] |
//! | `GET /api/product/{id}`      | `product-get`        | [`get`]        |
//! | `POST /api/product/create`   | `product-create`     | [`create`]     |
//! | `PUT /api/product/{id}`      | `product-update`     | [`update`]     |
//! | `DELETE /api/product/{id}`   | `product-retire`     | [`retire`]     |

pub mod categories;
pub mod create;
pub mod get;
pub mod list;
pub mod retire;
pub mod update;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::ids::ProductId;

use crate::store::Change;

/// The product the path's `{id}` names. A malformed slug cannot name a product: it gets the
/// same 404 as an unknown one.
fn path_slug(request: &Request) -> Result<ProductId, ApiError> {
    let id = http::path_parameter(request, "id")?;
    ProductId::parse(&id).map_err(|_| not_found(&id))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ProductNotFound,
        format!("there is no product {id:?}"),
    )
}

/// The answer to an edit or a retirement: the product as it is now, or why nothing changed.
fn answer(slug: &ProductId, change: Change) -> Result<Response<Body>, ApiError> {
    match change {
        Change::Done(product) => Ok(http::json(StatusCode::OK, &product)),
        Change::NotFound => Err(not_found(slug.as_str())),
        Change::Retired(_) => Err(ApiError::new(
            ErrorCode::ProductRetired,
            format!("{slug} is retired: it is no longer sold and cannot be changed"),
        )),
        Change::Stale(now) => Err(ApiError::new(
            ErrorCode::ProductChanged,
            format!(
                "{slug} was changed by someone else (it is now version {}); nothing was saved: \
                 reload it and make your change again",
                now.version
            ),
        )),
    }
}
