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
//! | the table's stream           | `product-invalidate` | [`invalidate`] |

pub mod categories;
pub mod create;
pub mod get;
pub mod invalidate;
pub mod list;
pub mod retire;
pub mod update;

use lambda_http::Request;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::ids::ProductId;

use crate::store::Change;

/// How long CloudFront keeps a public answer (its `s-maxage`): a minute, unless a change to
/// the catalogue invalidates it sooner (`product-invalidate`). The template's
/// `CatalogueCachePolicy` lets CloudFront keep nothing longer (its `MaxTTL`; a test holds the two
/// equal).
pub const EDGE_SECONDS: u32 = 60;

/// A public route's answer, as CloudFront may keep it and give it to every caller: a peak's
/// browsing reaches the products table once per page per edge cache every [`EDGE_SECONDS`], not
/// once per customer. Browsers keep nothing (`max-age=0`), so a page a customer reloads is
/// never older than CloudFront's copy, which an invalidation replaces. Errors are not marked:
/// CloudFront keeps them only seconds.
fn shared_by_callers(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(SHARED_BY_CALLERS),
    );
    response
}

/// [`EDGE_SECONDS`] as CloudFront reads it (a test holds the two equal).
const SHARED_BY_CALLERS: &str = "public, max-age=0, s-maxage=60";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edge_keeps_an_answer_for_edge_seconds() {
        let response = shared_by_callers(Response::new(Body::Empty));
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            format!("public, max-age=0, s-maxage={EDGE_SECONDS}").as_str()
        );
    }
}
