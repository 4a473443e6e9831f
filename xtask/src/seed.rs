//! The seed catalogue: `data/products.json`, loaded into the products table.
//!
//! Every entry goes through the same validation as `POST /api/product/create`, so the seed cannot
//! hold a product the API would refuse. Loading is safe to repeat: a product whose slug is already
//! there is left as it is.

use products::ProductStore;
use products::domain::{NewProduct, NewProductForm};

use crate::Result;
use crate::template::workspace_root;

/// What a load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub added: usize,
    pub already_there: usize,
}

/// The seed catalogue, validated.
pub fn catalog() -> Result<Vec<NewProduct>> {
    let path = workspace_root().join("data/products.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|err| format!("reading {}: {err}", path.display()))?;
    let forms: Vec<NewProductForm> = serde_json::from_str(&text)?;
    forms
        .into_iter()
        .map(|form| {
            let slug = form.slug.clone();
            NewProduct::try_from(form).map_err(|err| format!("seed product {slug}: {err}").into())
        })
        .collect()
}

/// Adds every seed product that `store` does not have yet.
pub async fn load(store: &ProductStore) -> Result<SeedReport> {
    let mut report = SeedReport {
        added: 0,
        already_there: 0,
    };
    for product in catalog()? {
        if store.insert(&product).await? {
            report.added += 1;
        } else {
            report.already_there += 1;
        }
    }
    Ok(report)
}
