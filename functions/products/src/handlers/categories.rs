//! `GET /api/categories`: every category with a product on sale, by name, with its count.
//! Public.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::http::{self, ApiError};

use crate::store::{CategoryCount, ProductStore};

#[derive(Debug, Serialize)]
struct Categories {
    categories: Vec<CategoryCount>,
}

pub async fn handle(store: &ProductStore, _request: Request) -> Result<Response<Body>, ApiError> {
    let categories = store.categories().await?;
    Ok(super::shared_by_callers(http::json(
        StatusCode::OK,
        &Categories { categories },
    )))
}
