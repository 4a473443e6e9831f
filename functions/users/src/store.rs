//! The users table: accounts and sessions, in one DynamoDB table keyed by `pk`.
//!
//! | item    | `pk`              | other attributes                                                        |
//! |---------|-------------------|-------------------------------------------------------------------------|
//! | user    | `USER#<username>` | `kind = "USER"`, `username`, `email`, names, `role`, `password_hash`, `created_at` |
//! | session | `SESSION#<id>`    | `username`, `expires_at` (epoch seconds, also the table's TTL attribute) |
//! | throttle | `THROTTLE#<username>` | `failures` in the window ending at `expires_at` (also the TTL) |
//!
//! The `ByKind` index (partition `kind`, sort `username`) lists users in username order for the
//! admin listing. It projects everything but the password hash, so listing never reads a hash.
//! Sessions have no `kind` and stay out of it.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use shared::auth::Role;
use shared::config::ConfigError;
use shared::store::{IndexQuery, Item, StoreError, Table, conditional, n, number, s, string};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::{NewUser, User, Username};

/// Failed log-ins to one account allowed in [`FAILED_LOGIN_WINDOW`]; the next attempts are
/// refused (429) until the window ends. The owner is never locked out for longer than that.
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const FAILED_LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The index the admin listing reads; its name is part of the table's definition in the template.
pub const LIST_INDEX: &str = "ByKind";
const USER_KIND: &str = "USER";

/// A user as stored, with the hash log-in checks against.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

/// One page of users in username order, and where the next page starts.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next: Option<Username>,
}

#[derive(Debug, Clone)]
pub struct UserStore {
    table: Table,
}

impl UserStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `USERS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "USERS_TABLE")?,
        })
    }

    /// Stores a new user, unless the username is taken (`Ok(None)`). Of N simultaneous
    /// registrations of one name, exactly one succeeds: the check is the write's condition.
    pub async fn insert(
        &self,
        user: &NewUser,
        password_hash: String,
        created_at: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let user_view = User {
            username: user.username.to_string(),
            email: user.email.as_str().to_owned(),
            first_name: user.first_name.as_str().to_owned(),
            last_name: user.last_name.as_str().to_owned(),
            role: Role::Customer,
            created_at: created_at.format(&Rfc3339).unwrap_or_default(),
        };
        let mut item = user_item(&user_view);
        item.insert("password_hash".into(), s(password_hash));
        let stored = self.table.put_if_absent(item).await?;
        Ok(stored.then_some(user_view))
    }

    /// The user named `username`, read consistently so a log-in right after registering works.
    pub async fn find(&self, username: &Username) -> Result<Option<StoredUser>, StoreError> {
        let item = self.table.get(user_pk(username.as_str()), true).await?;
        item.map(|item| {
            let password_hash = string(&item, "password_hash")?;
            Ok(StoredUser {
                user: user_from(&item)?,
                password_hash,
            })
        })
        .transpose()
    }

    /// Whether a user named `username` exists.
    pub async fn exists(&self, username: &Username) -> Result<bool, StoreError> {
        Ok(self
            .table
            .get(user_pk(username.as_str()), false)
            .await?
            .is_some())
    }

    /// Up to `limit` users after `after`, in username order.
    pub async fn page(&self, limit: i32, after: Option<&Username>) -> Result<UserPage, StoreError> {
        let start = after.map(|username| {
            Item::from([
                ("pk".to_owned(), s(user_pk(username.as_str()))),
                ("kind".to_owned(), s(USER_KIND)),
                ("username".to_owned(), s(username.as_str())),
            ])
        });
        let (items, last) = self
            .table
            .query_page(IndexQuery {
                index: LIST_INDEX,
                partition: "kind",
                value: USER_KIND,
                limit,
                start,
                descending: false,
            })
            .await?;
        let users = items.iter().map(user_from).collect::<Result<Vec<_>, _>>()?;
        let next = last.and_then(|key| Username::parse(&string(&key, "username").ok()?).ok());
        Ok(UserPage { users, next })
    }

    /// Records a new session for `username` that lapses at `expires_at`.
    pub async fn start_session(
        &self,
        session_id: &str,
        username: &Username,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.table
            .put(Item::from([
                ("pk".to_owned(), s(format!("SESSION#{session_id}"))),
                ("username".to_owned(), s(username.as_str())),
                ("expires_at".to_owned(), n(expires_at.unix_timestamp())),
            ]))
            .await
    }

    /// Ends a session: every token naming it stops working at the next request.
    pub async fn end_session(&self, session_id: &str) -> Result<(), StoreError> {
        self.table.delete(format!("SESSION#{session_id}")).await
    }

    /// The user behind a live session: `None` if the session was ended, has lapsed, belongs to
    /// someone else, or its user is gone. Both reads are consistent and run concurrently.
    pub async fn session_user(
        &self,
        session_id: &str,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let (session, user) = tokio::try_join!(
            self.table.get(format!("SESSION#{session_id}"), true),
            self.table.get(user_pk(username), true)
        )?;
        let live = session.is_some_and(|session| {
            string(&session, "username").is_ok_and(|owner| owner == username)
                && number(&session, "expires_at").is_ok_and(|exp| exp > now.unix_timestamp())
        });
        match (live, user) {
            (true, Some(user)) => Ok(Some(user_from(&user)?)),
            _ => Ok(None),
        }
    }

    /// How long log-ins to `username` are refused, if too many failed recently.
    pub async fn login_blocked_for(
        &self,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<Option<Duration>, StoreError> {
        let Some(item) = self.table.get(throttle_pk(username), true).await? else {
            return Ok(None);
        };
        let failures = number(&item, "failures")?;
        let window_ends = number(&item, "expires_at")?;
        let remaining = window_ends - now.unix_timestamp();
        Ok((failures >= MAX_FAILED_LOGINS && remaining > 0)
            .then(|| Duration::from_secs(u64::try_from(remaining).unwrap_or(0))))
    }

    /// Counts a failed log-in to `username`: one more in the current window, or the first of a
    /// new one if the last has ended.
    pub async fn record_failed_login(
        &self,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let counted = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("pk", s(throttle_pk(username)))
            .update_expression("ADD failures :one")
            .condition_expression("expires_at > :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
        if conditional(
            "UpdateItem",
            counted,
            UpdateItemError::is_conditional_check_failed_exception,
        )? {
            return Ok(());
        }
        let window_ends = now + FAILED_LOGIN_WINDOW;
        self.table
            .put(Item::from([
                ("pk".to_owned(), s(throttle_pk(username))),
                ("failures".to_owned(), n(1)),
                ("expires_at".to_owned(), n(window_ends.unix_timestamp())),
            ]))
            .await
    }

    /// Forgets `username`'s failed log-ins, after a successful one.
    pub async fn clear_failed_logins(&self, username: &Username) -> Result<(), StoreError> {
        self.table.delete(throttle_pk(username)).await
    }

    /// Gives `username` the role `role`; `false` if there is no such user.
    pub async fn set_role(&self, username: &Username, role: Role) -> Result<bool, StoreError> {
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("pk", s(user_pk(username.as_str())))
            .update_expression("SET #role = :role")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()))
            .send()
            .await;
        conditional(
            "UpdateItem",
            result,
            UpdateItemError::is_conditional_check_failed_exception,
        )
    }
}

fn throttle_pk(username: &Username) -> String {
    format!("THROTTLE#{username}")
}

fn user_pk(username: &str) -> String {
    format!("USER#{username}")
}

fn user_item(user: &User) -> Item {
    Item::from([
        ("pk".to_owned(), s(user_pk(&user.username))),
        ("kind".to_owned(), s(USER_KIND)),
        ("username".to_owned(), s(&user.username)),
        ("email".to_owned(), s(&user.email)),
        ("first_name".to_owned(), s(&user.first_name)),
        ("last_name".to_owned(), s(&user.last_name)),
        ("role".to_owned(), s(user.role.as_str())),
        ("created_at".to_owned(), s(&user.created_at)),
    ])
}

fn user_from(item: &Item) -> Result<User, StoreError> {
    let role = string(item, "role")?;
    Ok(User {
        username: string(item, "username")?,
        email: string(item, "email")?,
        first_name: string(item, "first_name")?,
        last_name: string(item, "last_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::corrupt("read user", format!("unknown role {role:?}")))?,
        created_at: string(item, "created_at")?,
    })
}
