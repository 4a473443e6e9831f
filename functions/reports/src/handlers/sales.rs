//! `GET /api/reports/sales?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv|pdf`: the shop's sales
//! over a period of up to two years (UTC days, both ends included), for administrators: per
//! currency its totals, every day and every product, and the failed-payment rate.
//!
//! 401 without a token, 403 for a customer, 400 naming the field for a missing, malformed or
//! reversed period, one longer than two years, or an unknown format. The CSV and the PDF come as
//! downloads (`sales-<from>-to-<to>.csv`, `.pdf`); no form is cached anywhere, as sales figures
//! are private.

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, INTERNAL_ERROR_MESSAGE};
use time::OffsetDateTime;

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
        Format::Pdf => pdf_download(&report)?,
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

fn csv_download(report: &SalesReport) -> Result<Response<Body>, ApiError> {
    let text = crate::csv::render(report).map_err(|err| failed("CSV", &err))?;
    let content_type = "text/csv; charset=utf-8; header=present";
    Ok(download(report, Body::Text(text), content_type, "csv"))
}

fn pdf_download(report: &SalesReport) -> Result<Response<Body>, ApiError> {
    let pdf =
        crate::pdf::render(report, OffsetDateTime::now_utc()).map_err(|err| failed("PDF", &err))?;
    Ok(download(
        report,
        Body::Binary(pdf),
        "application/pdf",
        "pdf",
    ))
}

/// A failure to write a report the tests would have caught: logged, and a plain 500.
fn failed(form: &str, err: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %err, "writing a sales report's {form}");
    ApiError::new(ErrorCode::InternalError, INTERNAL_ERROR_MESSAGE)
}

/// `body` as a file to save, `sales-<from>-to-<to>.<extension>`.
fn download(
    report: &SalesReport,
    body: Body,
    content_type: &'static str,
    extension: &str,
) -> Response<Body> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let filename = format!(
        "sales-{}-to-{}.{extension}",
        iso(report.from),
        iso(report.to)
    );
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
    {
        headers.insert(CONTENT_DISPOSITION, disposition);
    }
    response
}
