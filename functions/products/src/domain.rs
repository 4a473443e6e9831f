//! The catalogue's vocabulary. Each type can only be built valid.

use serde::{Deserialize, Serialize};
use shared::http::{ApiError, FieldErrors};
use shared::ids::ProductId;
use shared::money::{Currency, Money};

/// Text of bounded length without control characters (newlines allowed where `multiline`).
fn text(raw: &str, max: usize, multiline: bool) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// An image address: an `https://` URL, or a path on the shop's own site such as
/// `/images/products/mug.svg`. Nothing that a browser would run (`javascript:`, `data:`), no
/// characters that could break out of an HTML attribute, and no brackets: they only belong
/// around an IPv6 address, which no image host uses, and malformed ones break URL parsers
/// (schemathesis's, for one).
fn image_url(raw: &str) -> Result<String, String> {
    const MAX: usize = 2048;
    let url = raw.trim();
    let shape_ok = (url.starts_with("https://") && url.len() > "https://".len())
        || (url.starts_with('/') && !url.starts_with("//") && url.len() > 1);
    let chars_ok = url
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#@!$&()*+,;=%".contains(c));
    if url.len() > MAX || !shape_ok || !chars_ok {
        return Err(format!(
            "must be an https:// URL or a path such as /images/products/mug.svg, at most {MAX} characters"
        ));
    }
    Ok(url.to_owned())
}

/// The most a single item may cost, in minor units: 1,000,000.00.
pub const MAX_PRICE: i64 = 100_000_000;

fn price(minor: i64) -> Result<i64, String> {
    if (1..=MAX_PRICE).contains(&minor) {
        Ok(minor)
    } else {
        Err(format!(
            "must be a whole number of minor units (cents) from 1 to {MAX_PRICE}"
        ))
    }
}

/// A product as the admin form sends it. Unknown fields are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProductForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub image: String,
    /// In minor units: 1299 is 12.99.
    pub price: i64,
    pub currency: String,
}

/// A product as the API shows it and the table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// The product's id: the catalogue's one rule for it is [`ProductId`]'s.
    pub slug: ProductId,
    pub name: String,
    pub description: String,
    pub image: String,
    /// In minor units of `currency`.
    pub price: i64,
    pub currency: Currency,
}

impl Product {
    pub fn price(&self) -> Money {
        Money::new(self.price, self.currency)
    }
}

/// A new product with every field valid.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub product: Product,
}

impl TryFrom<NewProductForm> for NewProduct {
    type Error = ApiError;

    /// Checks every field and reports all the bad ones at once.
    fn try_from(form: NewProductForm) -> Result<Self, ApiError> {
        let mut fields = FieldErrors::default();
        let slug = fields.check("slug", ProductId::parse(&form.slug));
        let name = fields.check("name", text(&form.name, 120, false));
        let description = fields.check("description", text(&form.description, 2000, true));
        let image = fields.check("image", image_url(&form.image));
        let price = fields.check("price", price(form.price));
        let currency = fields.check("currency", Currency::parse(form.currency.trim()));
        match (slug, name, description, image, price, currency) {
            (
                Some(slug),
                Some(name),
                Some(description),
                Some(image),
                Some(price),
                Some(currency),
            ) => Ok(Self {
                product: Product {
                    slug,
                    name,
                    description,
                    image,
                    price,
                    currency,
                },
            }),
            _ => Err(fields.into_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> NewProductForm {
        NewProductForm {
            slug: "enamel-mug".into(),
            name: "Enamel mug".into(),
            description: "A mug.\nIt holds coffee.".into(),
            image: "/images/products/enamel-mug.svg".into(),
            price: 1_450,
            currency: "EUR".into(),
        }
    }

    #[test]
    fn a_valid_form_becomes_a_product() {
        let product = NewProduct::try_from(form()).unwrap().product;
        assert_eq!(product.price(), Money::new(1_450, Currency::Eur));
        assert_eq!(product.description, "A mug.\nIt holds coffee.");
    }

    #[test]
    fn slugs_are_url_safe() {
        assert!(ProductId::parse("walnut-desk-tidy-2").is_ok());
        for bad in ["mug_1", "mu--g", "mug cup", "müg"] {
            let mut form = form();
            form.slug = bad.into();
            let err = NewProduct::try_from(form).unwrap_err();
            assert_eq!(err.message(), "invalid slug", "{bad:?}");
        }
    }

    #[test]
    fn images_must_be_https_or_local_paths() {
        for good in [
            "https://cdn.example.com/a.png?w=200",
            "/images/products/mug.svg",
        ] {
            assert!(image_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://example.com/a.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//evil.example.com/a.png",
            "/a.png\" onerror=\"alert(1)",
            "/a b.png",
            "https://[w00hf%8s]/a.png",
            "https://",
            "",
        ] {
            assert!(image_url(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = NewProductForm {
            slug: "Bad Slug".into(),
            name: " ".into(),
            description: "x".repeat(2001),
            image: "ftp://x".into(),
            price: 0,
            currency: "BTC".into(),
        };
        let err = NewProduct::try_from(bad).unwrap_err();
        assert_eq!(
            err.message(),
            "invalid currency, description, image, name, price, slug"
        );
        for price in [-1, MAX_PRICE + 1] {
            let mut form = form();
            form.price = price;
            assert!(NewProduct::try_from(form).is_err());
        }
    }
}
