//! The seed catalogue (`data/products.json`, loaded into the products table) and demo accounts.
//!
//! Every entry goes through the same validation as `POST /api/product/create`, so the seed cannot
//! hold a product the API would refuse. Loading is safe to repeat: a product whose slug is already
//! there is left as it is.

use products::ProductStore;
use products::domain::{NewProduct, NewProductForm};
use shared::auth::Role;
use users::UserStore;
use users::domain::{NewUser, RegistrationForm, Username};

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

/// The seed product `slug`, to be copied.
pub fn product(slug: &str) -> Result<NewProduct> {
    catalog()?
        .into_iter()
        .find(|product| product.product.slug.as_str() == slug)
        .ok_or_else(|| format!("no seed product {slug}").into())
}

/// Adds a copy of `product` under the slug `copy` (the benchmark's writers change a product of
/// their own each call).
pub async fn copy(store: &ProductStore, product: &NewProduct, copy: &str) -> Result<()> {
    let mut product = product.clone();
    product.product.slug = shared::ids::ProductId::parse(copy)?;
    if !store.insert(&product).await? {
        return Err(format!("the product {copy} exists already").into());
    }
    Ok(())
}

/// Registers `username` (at `username@shop.example`) unless it exists, through the users
/// service's own rules and hashing; an administrator if `admin`.
pub async fn account(users: &UserStore, username: &str, password: &str, admin: bool) -> Result<()> {
    let username = register(users, username, password, admin).await?;
    // Nobody reads the demo accounts' mail: their addresses are vouched for.
    users.vouch_for_email(&username).await?;
    if admin {
        users.set_role(&username, Role::Admin).await?;
    }
    Ok(())
}

/// A customer's [`account`] as a newcomer's is until they follow the link e-mailed to them: its
/// address not confirmed (unless `username` exists, which is left as it is). The account's
/// username.
pub async fn unconfirmed(users: &UserStore, username: &str, password: &str) -> Result<Username> {
    register(users, username, password, false).await
}

/// Registers `username`, at `username@shop.example`, unless it exists; the name of an
/// administrator if `admin` (the role is [`account`]'s to give).
async fn register(
    users: &UserStore,
    username: &str,
    password: &str,
    admin: bool,
) -> Result<Username> {
    let form = RegistrationForm {
        username: username.to_owned(),
        password: password.to_owned().into(),
        email: format!("{username}@shop.example"),
        first_name: "Demo".to_owned(),
        last_name: if admin { "Administrator" } else { "Customer" }.to_owned(),
    };
    let new_user = NewUser::try_from(form).map_err(|err| err.to_string())?;
    let hash = users::password::hash(new_user.password.clone())
        .await
        .map_err(|err| err.to_string())?;
    // The operator makes demo accounts whatever a deleted account's tombstone says of the name:
    // under a key of its own, the check finds no tombstone.
    let anyway = users::pseudonym::PseudonymKey::new(uuid::Uuid::new_v4().as_bytes().to_vec());
    users
        .insert(&new_user, hash, &anyway, time::OffsetDateTime::now_utc())
        .await?;
    Ok(new_user.username)
}

/// Confirms the address of `username`, a customer of the local shop `names` describes, without
/// its e-mail: for the shopping load's and the tests' customers, whose confirmation e-mails nobody
/// opens (following the link is tested on its own), so that their receipts are e-mailed.
pub async fn vouch_for(names: &crate::local::names::LocalNames, username: &str) -> Result<()> {
    let sdk = shared::aws::sdk_config().await;
    let users = UserStore::new(shared::aws::dynamodb(&sdk), &names.refs["UsersTable"]);
    let username = users::domain::Username::parse(username).map_err(|err| err.to_string())?;
    if users.vouch_for_email(&username).await? {
        Ok(())
    } else {
        Err(format!("no user {username}").into())
    }
}
