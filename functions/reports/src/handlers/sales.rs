//! `GET /api/reports/sales?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv`: the shop's sales
//! over a period of up to two years (UTC days, both ends included), for administrators: per
//! currency its totals, every day and every product, and the failed-payment rate.
//!
//! 401 without a token, 403 for a customer, 400 naming the field for a missing, malformed or
//! reversed period, one longer than two years, or an unknown format. The CSV comes as a download
//! (`sales-<from>-to-<to>.csv`); neither form is cached anywhere, as sales figures are private.

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, INTERNAL_ERROR_MESSAGE};

use crate::period::{Format, ReportQuery, iso};
use crate::report::SalesReport;
use crate::store::ReportStore;

pub async fn handle(store: &ReportStore, request: Request) -> Result<Response<Body>, ApiError> {
    Caller::from_request(&request)?.require_admin()?;
    let query = ReportQuery::parse(&request)?;
    let days = store.days(&query.period).await?;
    let report = SalesReport::build(&query.period, &days);
    let mut response = match query.format {
        Format::Json => http::json(StatusCode::OK, &report),
        Format::Csv => csv_download(&report)?,
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

fn csv_download(report: &SalesReport) -> Result<Response<Body>, ApiError> {
    let text = crate::csv::render(report).map_err(|err| {
        tracing::error!(error = %err, "writing a sales report's CSV");
        ApiError::new(ErrorCode::InternalError, INTERNAL_ERROR_MESSAGE)
    })?;
    let mut response = Response::new(Body::Text(text));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    let filename = format!("sales-{}-to-{}.csv", iso(report.from), iso(report.to));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
    {
        headers.insert(CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
