//! What a report request asks for: the days (`from` and `to`, both included, in UTC) and the
//! form (`format`), parsed once, so that a [`Period`] is always a valid one.

use lambda_http::Request;
use shared::error::{ApiError, FieldErrors};
use shared::http::query_parameter;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Duration};

/// How dates are written in queries, reports and the table: ISO 8601, `2026-11-27`.
pub(crate) const ISO_DATE: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Days from `from` to `to`, both included: at least one, at most [`Period::MAX_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: Date,
    to: Date,
}

/// The form a report is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Pdf,
}

/// A report request's query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportQuery {
    pub period: Period,
    pub format: Format,
}

impl Period {
    /// Two years, one of them a leap year.
    pub const MAX_DAYS: i64 = 731;

    /// The days from `from` to `to`, or what is wrong with them, per field.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, ApiError> {
        let mut fields = FieldErrors::default();
        let from = fields.check("from", date(from));
        let to = fields.check("to", date(to));
        let (Some(from), Some(to)) = (from, to) else {
            return Err(fields.into_error());
        };
        if to < from {
            return Err(FieldErrors::one(
                "to",
                format!("must be on or after from ({})", iso(from)),
            ));
        }
        let period = Self { from, to };
        if period.day_count() > Self::MAX_DAYS {
            return Err(FieldErrors::one(
                "to",
                format!(
                    "the period is {} days; a report covers at most {} (two years)",
                    period.day_count(),
                    Self::MAX_DAYS
                ),
            ));
        }
        Ok(period)
    }

    pub fn from(&self) -> Date {
        self.from
    }

    pub fn to(&self) -> Date {
        self.to
    }

    /// How many days it covers.
    pub fn day_count(&self) -> i64 {
        (self.to - self.from).whole_days() + 1
    }

    /// Every day of it, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> + use<> {
        let from = self.from;
        (0..self.day_count()).map(move |offset| from + Duration::days(offset))
    }
}

impl ReportQuery {
    /// `from`, `to` and `format` (`json` unless it says `csv` or `pdf`) from the request's query
    /// string.
    pub fn parse(request: &Request) -> Result<Self, ApiError> {
        let format = match query_parameter(request, "format") {
            None | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some("pdf") => Format::Pdf,
            Some(_) => return Err(FieldErrors::one("format", "must be json, csv or pdf")),
        };
        let period = Period::parse(
            query_parameter(request, "from"),
            query_parameter(request, "to"),
        )?;
        Ok(Self { period, format })
    }
}

/// `raw` as a date, or what is wrong with it.
fn date(raw: Option<&str>) -> Result<Date, String> {
    let raw = raw.ok_or("is required: a date such as 2026-01-31")?;
    Date::parse(raw, ISO_DATE).map_err(|_| {
        format!("must be a date written as YYYY-MM-DD, such as 2026-01-31, not {raw:?}")
    })
}

/// `day` as `YYYY-MM-DD`.
pub(crate) fn iso(day: Date) -> String {
    // Formatting a date with its own description cannot fail.
    day.format(ISO_DATE).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn refusal(from: Option<&str>, to: Option<&str>) -> serde_json::Value {
        let err = Period::parse(from, to).unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        serde_json::to_value(err.fields()).unwrap()
    }

    #[test]
    fn a_period_is_its_days_both_included() {
        let period = Period::parse(Some("2024-02-27"), Some("2024-03-01")).unwrap();
        assert_eq!(period.day_count(), 4);
        let days: Vec<Date> = period.days().collect();
        assert_eq!(days[2], date!(2024 - 02 - 29));
        assert_eq!(days.last(), Some(&date!(2024 - 03 - 01)));
        let one = Period::parse(Some("2026-11-27"), Some("2026-11-27")).unwrap();
        assert_eq!(one.days().count(), 1);
    }

    #[test]
    fn two_years_is_the_longest_period() {
        let longest = Period::parse(Some("2024-01-01"), Some("2025-12-31")).unwrap();
        assert_eq!(longest.day_count(), Period::MAX_DAYS);
        let fields = refusal(Some("2024-01-01"), Some("2026-01-01"));
        assert!(fields["to"].as_str().unwrap().contains("at most 731"));
    }

    #[test]
    fn bad_dates_and_reversed_periods_are_refused_with_their_field() {
        let fields = refusal(None, Some("2026-13-01"));
        assert!(fields["from"].as_str().unwrap().contains("required"));
        assert!(fields["to"].as_str().unwrap().contains("YYYY-MM-DD"));
        for bad in [
            "2026-02-30",
            "26-01-01",
            "2026-1-1",
            "yesterday",
            "2026-01-01T00:00",
        ] {
            let fields = refusal(Some(bad), Some("2026-12-31"));
            assert!(fields["from"].is_string(), "{bad} was accepted");
        }
        let fields = refusal(Some("2026-11-27"), Some("2026-11-26"));
        assert!(fields["to"].as_str().unwrap().contains("on or after"));
    }
}
