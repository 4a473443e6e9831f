//! `GET /api/reports/sales?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv|pdf`: the shop's sales
//! over a period of up to two years (UTC days, both ends included), for administrators: per
//! currency its totals, every day and every product, and the failed-payment rate.
//!
//! 401 without a token, 403 for a customer, 400 naming the field for a missing, malformed or
//! reversed period, one longer than two years, one whose report is too large to return (Lambda's
//! 6 MB), or an unknown format. The CSV and the PDF come as
//! downloads (`sales-<from>-to-<to>.csv`, `.pdf`); no form is cached anywhere, as sales figures
//! are private.

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::error::FieldErrors;
use shared::http::{self, ApiError, INTERNAL_ERROR_MESSAGE};
use time::OffsetDateTime;

use crate::period::{Format, ReportQuery, iso};
use crate::report::SalesReport;
use crate::store::ReportStore;

pub async fn handle(store: &ReportStore, request: Request) -> Result<Response<Body>, ApiError> {
    Caller::from_request(&request)?.require_admin()?;
    let query = ReportQuery::parse(&request)?;
    let report = store.sales(&query.period).await?;
    respond(&report, query.format)
}

/// Lambda returns at most 6 MB (6,291,456 bytes) from a function, the headers and the body as a
/// JSON string (binary in base64) included; a larger answer becomes API Gateway's own bare 500.
/// The body is kept under this, which leaves the rest ample room.
const MAX_ENCODED_BODY: usize = 6_000_000;

/// `report` in `format`, or a 400 asking for a shorter period when it is too large to return.
fn respond(report: &SalesReport, format: Format) -> Result<Response<Body>, ApiError> {
    let mut response = match format {
        Format::Json => http::json(StatusCode::OK, report),
        Format::Csv => csv_download(report)?,
        Format::Pdf => pdf_download(report)?,
    };
    let size = encoded_len(response.body());
    if size > MAX_ENCODED_BODY {
        #[allow(clippy::cast_precision_loss)] // a size in megabytes, to one decimal
        let megabytes = size as f64 / 1e6;
        return Err(FieldErrors::one(
            "to",
            format!(
                "this report is too large to send ({megabytes:.1} MB as sent, at most {} MB): \
                 ask for a shorter period",
                MAX_ENCODED_BODY / 1_000_000
            ),
        ));
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// The bytes `body` takes in Lambda's answer: text as a JSON string, with its escapes; binary
/// in base64.
fn encoded_len(body: &Body) -> usize {
    match body {
        Body::Text(text) => {
            let escapes: usize = text
                .bytes()
                .map(|byte| match byte {
                    b'"' | b'\\' | b'\n' | b'\r' | b'\t' => 1,
                    0..0x20 => 5,
                    _ => 0,
                })
                .sum();
            text.len() + escapes
        }
        // Binary, empty, and whatever a later version adds: weighed as base64, the larger form.
        other => other.len().div_ceil(3) * 4,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Period;
    use crate::store::{DayCounters, ProductCounters};
    use shared::ids::ProductId;
    use shared::money::Currency;

    /// A report of one day on which `products` different products sold.
    fn report(products: usize) -> SalesReport {
        let period = Period::parse(Some("2026-11-01"), Some("2026-11-01")).unwrap();
        let day = DayCounters {
            date: period.from(),
            currency: Currency::Eur,
            orders: 1,
            items: 1,
            revenue: 100,
            failed: 0,
            products: (0..products)
                .map(|n| ProductCounters {
                    product_id: ProductId::parse(&format!("product-{n}")).unwrap(),
                    name: format!("Product number {n}, a \"quoted\" name"),
                    orders: 1,
                    items: 1,
                    revenue: 100,
                })
                .collect(),
        };
        SalesReport::build(&period, [day])
    }

    #[test]
    fn text_is_weighed_with_its_escapes_and_binary_in_base64() {
        assert_eq!(encoded_len(&Body::Text("a\"b\\c\r\n\u{1}é".into())), 19);
        assert_eq!(encoded_len(&Body::Binary(vec![0; 4])), 8);
        assert_eq!(encoded_len(&Body::Binary(vec![0; 3])), 4);
        assert_eq!(encoded_len(&Body::Empty), 0);
    }

    #[test]
    fn a_report_too_large_for_lambda_is_a_400_asking_for_a_shorter_period() {
        let large = report(40_000);
        let err = respond(&large, Format::Json).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(
            err.fields()["to"].contains("too large to send")
                && err.fields()["to"].contains("shorter period"),
            "{err:?}"
        );
        let small = respond(&report(10), Format::Json).unwrap();
        assert_eq!(small.status(), StatusCode::OK);
        assert!(encoded_len(small.body()) < MAX_ENCODED_BODY);
    }
}
