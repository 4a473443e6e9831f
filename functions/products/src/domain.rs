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

/// A product's category, such as `Kitchen`: 1 to 40 characters, no control characters. The
/// storefront filters by it and search counts matches per category. Categories are not declared
/// anywhere: one exists while a product is in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Category(String);

impl Category {
    pub const MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, String> {
        // Checked before spaces are collapsed, which would turn a tab into a space. Invisible
        // format characters (zero-width spaces, direction overrides) would make two categories
        // that look the same, or one that reads as another.
        if raw.chars().any(|c| c.is_control() || is_invisible(c)) {
            return Err("must not contain control or invisible characters".into());
        }
        // One space between words, so `Home  & garden` and `Home & garden` are one category.
        let words: Vec<&str> = raw.split_whitespace().collect();
        text(&words.join(" "), Self::MAX, false).map(Self)
    }

    /// Where a product goes when its creator names no category (and where products created
    /// before categories existed are).
    pub fn other() -> Self {
        Self("Other".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Category {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Category> for String {
    fn from(category: Category) -> Self {
        category.0
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Unicode's invisible formatting characters that people paste by accident or on purpose.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{00ad}')
}

/// Whether a product is on sale. A retired product is out of the catalogue, search and carts,
/// but stays readable, so orders, receipts and links to it still make sense.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Retired,
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
    /// Optional, so clients written before categories keep working: [`Category::other`].
    #[serde(default)]
    pub category: Option<String>,
}

/// A product's new details as the admin edit form sends them, with the version the admin saw.
/// The slug (in the path) and the currency (orders are in one currency) do not change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductEditForm {
    pub name: String,
    pub description: String,
    pub image: String,
    pub price: i64,
    pub category: String,
    pub version: u64,
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
    #[serde(default = "Category::other")]
    pub category: Category,
    /// 1 when created, one more with each change; an edit names the version it replaces. 0 for
    /// a product stored before versions, which has no `version` attribute.
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub status: Status,
}

impl Product {
    pub fn price(&self) -> Money {
        Money::new(self.price, self.currency)
    }

    pub fn is_retired(&self) -> bool {
        self.status == Status::Retired
    }

    /// This product with `edit` applied: the next version.
    pub fn edited(&self, edit: &Edit) -> Self {
        let details = edit.details.clone();
        Self {
            name: details.name,
            description: details.description,
            image: details.image,
            price: details.price,
            category: details.category,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// This product taken off sale: the next version.
    pub fn retired(&self) -> Self {
        Self {
            status: Status::Retired,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// The fields an administrator writes, each valid.
#[derive(Debug, Clone)]
struct Details {
    name: String,
    description: String,
    image: String,
    price: i64,
    category: Category,
}

/// Checks the fields both forms share, noting every bad one in `fields`.
fn details(
    fields: &mut FieldErrors,
    name: &str,
    description: &str,
    image: &str,
    price_minor: i64,
    category: Result<Category, String>,
) -> Option<Details> {
    let name = fields.check("name", text(name, 120, false));
    let description = fields.check("description", text(description, 2000, true));
    let image = fields.check("image", image_url(image));
    let price = fields.check("price", price(price_minor));
    let category = fields.check("category", category);
    Some(Details {
        name: name?,
        description: description?,
        image: image?,
        price: price?,
        category: category?,
    })
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
        let currency = fields.check("currency", Currency::parse(form.currency.trim()));
        let category = form
            .category
            .as_deref()
            .map_or_else(|| Ok(Category::other()), Category::parse);
        let details = details(
            &mut fields,
            &form.name,
            &form.description,
            &form.image,
            form.price,
            category,
        );
        match (slug, currency, details) {
            (Some(slug), Some(currency), Some(details)) if fields.is_empty() => Ok(Self {
                product: Product {
                    slug,
                    name: details.name,
                    description: details.description,
                    image: details.image,
                    price: details.price,
                    currency,
                    category: details.category,
                    version: 1,
                    status: Status::Active,
                },
            }),
            _ => Err(fields.into_error()),
        }
    }
}

/// An edit with every field valid, and the version of the product it was made on.
#[derive(Debug, Clone)]
pub struct Edit {
    details: Details,
    pub seen_version: u64,
}

impl Edit {
    pub fn category(&self) -> &Category {
        &self.details.category
    }
}

impl TryFrom<ProductEditForm> for Edit {
    type Error = ApiError;

    fn try_from(form: ProductEditForm) -> Result<Self, ApiError> {
        let mut fields = FieldErrors::default();
        let details = details(
            &mut fields,
            &form.name,
            &form.description,
            &form.image,
            form.price,
            Category::parse(&form.category),
        );
        match details {
            Some(details) if fields.is_empty() => Ok(Self {
                details,
                seen_version: form.version,
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
            category: Some("Kitchen".into()),
        }
    }

    #[test]
    fn a_valid_form_becomes_a_product() {
        let product = NewProduct::try_from(form()).unwrap().product;
        assert_eq!(product.price(), Money::new(1_450, Currency::Eur));
        assert_eq!(product.description, "A mug.\nIt holds coffee.");
    }

    #[test]
    fn a_form_without_a_category_files_the_product_under_other() {
        let mut form = form();
        form.category = None;
        let product = NewProduct::try_from(form).unwrap().product;
        assert_eq!(product.category, Category::other());
        assert_eq!((product.version, product.status), (1, Status::Active));
    }

    #[test]
    fn categories_are_short_single_spaced_text() {
        assert_eq!(
            Category::parse("  Home \u{a0} &   garden ")
                .unwrap()
                .as_str(),
            "Home & garden"
        );
        for bad in [
            "",
            "   ",
            &"x".repeat(41),
            "a\u{0}b",
            "a\tb",
            "Kitchen\u{200b}",
            "\u{202e}nehctiK",
        ] {
            assert!(Category::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_product_stored_before_categories_and_versions_still_reads() {
        let product: Product = serde_json::from_value(serde_json::json!({
            "slug": "enamel-mug", "name": "Enamel mug", "description": "A mug.",
            "image": "/images/products/enamel-mug.svg", "price": 1450, "currency": "EUR",
        }))
        .unwrap();
        assert_eq!(product.category, Category::other());
        assert_eq!((product.version, product.status), (0, Status::Active));
    }

    #[test]
    fn edits_and_retirement_each_make_a_new_version() {
        let product = NewProduct::try_from(form()).unwrap().product;
        let edit = Edit::try_from(ProductEditForm {
            name: "Enamel mug, blue".into(),
            description: "Bluer.".into(),
            image: "/images/products/enamel-mug.svg".into(),
            price: 1_600,
            category: "Camping".into(),
            version: 1,
        })
        .unwrap();
        let edited = product.edited(&edit);
        assert_eq!(
            (edited.version, edited.price, edited.category.as_str()),
            (2, 1_600, "Camping")
        );
        assert_eq!(
            (&edited.slug, edited.currency),
            (&product.slug, product.currency)
        );
        let retired = edited.retired();
        assert!(retired.is_retired() && !edited.is_retired());
        assert_eq!(retired.version, 3);
    }

    #[test]
    fn an_edit_reports_every_bad_field() {
        let err = Edit::try_from(ProductEditForm {
            name: String::new(),
            description: "ok".into(),
            image: "http://x".into(),
            price: 0,
            category: " ".into(),
            version: 1,
        })
        .unwrap_err();
        assert_eq!(err.message(), "invalid category, image, name, price");
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
            category: Some("\u{7}".into()),
        };
        let err = NewProduct::try_from(bad).unwrap_err();
        assert_eq!(
            err.message(),
            "invalid category, currency, description, image, name, price, slug"
        );
        for price in [-1, MAX_PRICE + 1] {
            let mut form = form();
            form.price = price;
            assert!(NewProduct::try_from(form).is_err());
        }
    }
}
