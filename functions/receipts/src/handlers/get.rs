//! `GET /api/order/{id}/receipt`: the receipt as a PDF, for the order's owner.
//!
//! The orders service decides whose order it is: this function invokes its `order-get` with the
//! caller's authorizer context, so anyone but the owner (or an administrator) gets the same 404
//! they would get there. An order that is not paid has no receipt yet: 409.

use lambda_http::http::{HeaderValue, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::invoke::{Get, HttpFunction};
use shared::messages::OrderView;

use crate::archive::{Archive, ArchiveError};

pub async fn handle(
    orders: &HttpFunction,
    archive: &Archive,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    Caller::from_request(&request)?;
    let id = http::path_parameter(&request, "id")?;
    let caller = request
        .request_context_ref()
        .and_then(RequestContext::authorizer);
    let unavailable = |detail: String| {
        tracing::error!(%detail, "the orders service did not answer");
        ApiError::new(
            ErrorCode::OrdersUnavailable,
            "receipts cannot be checked right now; try again shortly",
        )
    };
    let answer = orders
        .get(Get {
            route: "GET /api/order/{id}",
            parameters: &[("id", &id)],
            caller,
        })
        .await
        .map_err(|err| unavailable(err.to_string()))?;
    let order: OrderView = match answer.status {
        200 => serde_json::from_slice(&answer.body)
            .map_err(|err| unavailable(format!("unexpected order: {err}")))?,
        404 => {
            return Err(ApiError::new(
                ErrorCode::OrderNotFound,
                format!("you have no order {id:?}"),
            ));
        }
        status => return Err(unavailable(format!("order-get answered {status}"))),
    };
    let paid = order.receipt().ok_or_else(|| {
        ApiError::new(
            ErrorCode::OrderNotPaid,
            format!(
                "order {id} is {}; its receipt is ready once it is paid",
                order.status.as_str()
            ),
        )
    })?;
    let pdf = archive
        .get_or_render(&paid)
        .await
        .map_err(|err| match err {
            ArchiveError::Unavailable(detail) => {
                tracing::error!(%detail, "receipts bucket");
                ApiError::new(
                    ErrorCode::ReceiptsUnavailable,
                    "receipts are temporarily unavailable; try again shortly",
                )
            }
            ArchiveError::Render(err) => {
                tracing::error!(error = %err, "rendering a receipt");
                ApiError::new(
                    ErrorCode::InternalError,
                    shared::http::INTERNAL_ERROR_MESSAGE,
                )
            }
        })?;
    let mut response = Response::new(Body::Binary(pdf));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "inline; filename=\"receipt-{}.pdf\"",
        paid.order_id
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}
