//! Money: whole minor units (cents, pence) and a currency, never floats.
//!
//! Every service that prices something (products, orders, payments, receipts) uses these types,
//! so an amount can only be added to an amount of the same currency, and arithmetic that would
//! overflow is refused instead of wrapping.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The currencies the shop sells in. All have two minor digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "GBP")]
    Gbp,
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    pub const ALL: [Self; 3] = [Self::Eur, Self::Gbp, Self::Usd];

    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
            Self::Gbp => "GBP",
            Self::Usd => "USD",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Self::Eur => "€",
            Self::Gbp => "£",
            Self::Usd => "$",
        }
    }

    pub fn parse(code: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|currency| currency.code() == code)
            .ok_or_else(|| {
                let codes: Vec<&str> = Self::ALL.iter().map(|c| c.code()).collect();
                format!("must be one of {}", codes.join(", "))
            })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in minor units of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// `self` times `quantity`, or `None` on overflow.
    pub fn times(self, quantity: u32) -> Option<Self> {
        let minor = self.minor.checked_mul(i64::from(quantity))?;
        Some(Self::new(minor, self.currency))
    }

    /// `self + other`, or `None` if the currencies differ or the sum overflows.
    pub fn plus(self, other: Self) -> Option<Self> {
        if self.currency != other.currency {
            return None;
        }
        let minor = self.minor.checked_add(other.minor)?;
        Some(Self::new(minor, self.currency))
    }
}

/// `€1,234.50`: the symbol, thousands separated, two decimals.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let absolute = self.minor.unsigned_abs();
        let (major, cents) = (absolute / 100, absolute % 100);
        let digits = major.to_string();
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}{}{grouped}.{cents:02}", self.currency.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_parse_by_code_only() {
        assert_eq!(Currency::parse("EUR"), Ok(Currency::Eur));
        assert!(Currency::parse("eur").is_err());
        assert!(
            Currency::parse("XBT")
                .unwrap_err()
                .contains("EUR, GBP, USD")
        );
        assert_eq!(serde_json::to_string(&Currency::Gbp).unwrap(), "\"GBP\"");
    }

    #[test]
    fn arithmetic_is_checked_and_single_currency() {
        let price = Money::new(1_999, Currency::Eur);
        assert_eq!(price.times(3), Some(Money::new(5_997, Currency::Eur)));
        assert_eq!(
            price.plus(Money::new(1, Currency::Eur)).unwrap().minor,
            2_000
        );
        assert_eq!(price.plus(Money::new(1, Currency::Usd)), None);
        assert_eq!(Money::new(i64::MAX, Currency::Eur).times(2), None);
        assert_eq!(
            Money::new(i64::MAX, Currency::Eur).plus(Money::new(1, Currency::Eur)),
            None
        );
    }

    #[test]
    fn amounts_display_like_a_receipt() {
        assert_eq!(Money::new(0, Currency::Eur).to_string(), "€0.00");
        assert_eq!(Money::new(5, Currency::Usd).to_string(), "$0.05");
        assert_eq!(Money::new(123_450, Currency::Gbp).to_string(), "£1,234.50");
        assert_eq!(
            Money::new(100_000_000, Currency::Eur).to_string(),
            "€1,000,000.00"
        );
        assert_eq!(Money::new(-250, Currency::Eur).to_string(), "-€2.50");
    }

    /// The same rules, for any amounts: checked arithmetic agrees with 128-bit arithmetic
    /// wherever the result fits, refuses exactly where it does not, and never mixes currencies.
    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn currency() -> impl Strategy<Value = Currency> {
            proptest::sample::select(Currency::ALL.to_vec())
        }

        fn money() -> impl Strategy<Value = Money> {
            // Mostly everyday amounts, sometimes ones near the edges of i64.
            let minor = prop_oneof![
                4 => -1_000_000_000i64..1_000_000_000,
                1 => any::<i64>(),
                1 => prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(0)],
            ];
            (minor, currency()).prop_map(|(minor, currency)| Money::new(minor, currency))
        }

        fn fits(wide: i128) -> Option<i64> {
            i64::try_from(wide).ok()
        }

        proptest! {
            #[test]
            fn plus_is_exact_or_refused(a in money(), b in money()) {
                let sum = a.plus(b);
                if a.currency == b.currency {
                    let exact = fits(i128::from(a.minor) + i128::from(b.minor));
                    prop_assert_eq!(sum, exact.map(|minor| Money::new(minor, a.currency)));
                } else {
                    prop_assert_eq!(sum, None);
                }
                prop_assert_eq!(sum, b.plus(a), "addition commutes");
            }

            #[test]
            fn plus_associates_when_it_succeeds(a in money(), b in money(), c in money()) {
                let c = Money::new(c.minor, a.currency);
                let b = Money::new(b.minor, a.currency);
                let left = a.plus(b).and_then(|ab| ab.plus(c));
                let right = b.plus(c).and_then(|bc| a.plus(bc));
                if let (Some(left), Some(right)) = (left, right) {
                    prop_assert_eq!(left, right);
                }
            }

            #[test]
            fn times_is_exact_or_refused(price in money(), quantity in any::<u32>()) {
                let exact = fits(i128::from(price.minor) * i128::from(quantity));
                prop_assert_eq!(
                    price.times(quantity),
                    exact.map(|minor| Money::new(minor, price.currency))
                );
            }

            #[test]
            fn display_round_trips_to_the_same_minor_units(amount in money()) {
                let shown = amount.to_string();
                let (negative, rest) = match shown.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, shown.as_str()),
                };
                let digits = rest.strip_prefix(amount.currency.symbol()).unwrap_or_default();
                let (major, cents) = digits.split_once('.').unwrap_or_default();
                prop_assert_eq!(cents.len(), 2, "two decimals in {}", shown);
                let groups: Vec<&str> = major.split(',').collect();
                prop_assert!(groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3),
                    "thousands grouped in {}", shown);
                let unsigned: i128 = format!("{}{cents}", groups.concat()).parse().unwrap_or(-1);
                let value = if negative { -unsigned } else { unsigned };
                prop_assert_eq!(value, i128::from(amount.minor), "{}", shown);
            }
        }
    }
}
