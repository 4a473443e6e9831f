//! The users table: accounts and sessions, in one DynamoDB table keyed by `pk`.
//!
//! | item    | `pk`              | other attributes                                                        |
//! |---------|-------------------|-------------------------------------------------------------------------|
//! | user    | `USER#<username>` | `kind = "USER"`, `username`, `email`, names, `role`, `password_hash`, `created_at`, `session_epoch` |
//! | session | `SESSION#<id>`    | `username`, `epoch`, `expires_at` (epoch seconds, also the table's TTL attribute), `started_at`, and the refresh token's `refresh_hash`, `previous_hash`, `rotated_at` (see [`crate::refresh`]) |
//! | throttle | `THROTTLE#<username>`, `THROTTLE#<username>#FROM#<client>`, `THROTTLE-CLIENT#<client>` | recent failed log-ins: `failures`, `not_before`, `expires_at` (also the TTL); see [`crate::throttle`] |
//! | known client | `THROTTLE#<username>#KNOWN#<client>` | `expires_at` (also the TTL): 90 days after the client's last log-in to the account |
//! | outbox, e-mailed links, requests to resend, e-mails sent | `OUTBOX#...`, `VERIFY#...`, `CHANGE#...`, `RESET#...`, `ASKED#...`, `MAIL#...` | see [`email`], [`reset`], [`quota`] and [`shared::mail`] |
//! | a deleted account's tombstone | `TOMBSTONE#...` | see [`erase`] |
//!
//! The `ByInitial` index (partition `initial`, the username's first character; sort `username`)
//! lists users in username order for the admin listing: its partitions read in character order
//! are the users in username order. It projects everything but the password hash, so listing
//! never reads a hash. Sessions have no `initial` and stay out of it. (`ByKind`, under the one
//! value `kind = "USER"`, took every registration on one partition; `xtask users-upgrade` gave
//! the accounts stored before it their `initial`: [`UserStore::list_unlisted`].)
//!
//! A session lives while its `epoch` is its user's `session_epoch` (both 0 when absent). Ending
//! every session of a user (sign-out everywhere, a password change) is then one conditional
//! write that counts the user's epoch up: no list of sessions to find, so no session created a
//! moment before can be missed by an index that has not caught up.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use shared::auth::Role;
use shared::config::ConfigError;
use shared::store::{Listed, StoreError, Table, n, s, to_item};
use time::OffsetDateTime;

use crate::domain::{Confirming, NewUser, User, Username};
use crate::email::Notice;
use crate::pseudonym::PseudonymKey;
use crate::refresh::{self, RefreshToken};
use crate::throttle::Limiter;

mod email;
mod erase;
mod list;
mod quota;
mod reset;
pub use email::Resend;
pub use quota::Turn;

const USER_KIND: &str = "USER";

/// A user as stored, with the hash log-in checks against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredUser {
    #[serde(flatten)]
    pub user: User,
    pub password_hash: String,
    /// The epoch live sessions have; see the module's documentation.
    #[serde(default)]
    pub session_epoch: u64,
    /// The id of the change of address the account waits for (`user.pending_email`): only
    /// links made for it confirm it, not those of an earlier request for the same address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_change: Option<String>,
}

impl StoredUser {
    /// What a verification link is for now: the address the owner asked to change to, else the
    /// account's own while it is unconfirmed; `None` when there is nothing to confirm.
    pub fn to_confirm(&self) -> Option<Confirming<'_>> {
        if let (Some(address), Some(change)) = (&self.user.pending_email, &self.pending_change) {
            return Some(Confirming {
                address,
                change: Some(change),
            });
        }
        (self.user.email_verified != Some(true)).then_some(Confirming {
            address: &self.user.email,
            change: None,
        })
    }
}

/// A user as the authorizer needs them: who they are, and the epoch of their live sessions.
#[derive(Debug, Deserialize)]
struct SessionOwner {
    #[serde(flatten)]
    user: User,
    #[serde(default)]
    session_epoch: u64,
}

/// A session: whose it is, of which epoch, and when it lapses (epoch seconds, the table's TTL
/// attribute). Sessions started before refresh tokens have none of the refresh fields, and
/// cannot be refreshed.
#[derive(Debug, Serialize, Deserialize)]
struct Session {
    username: Username,
    #[serde(default)]
    epoch: u64,
    #[serde(with = "time::serde::timestamp")]
    expires_at: OffsetDateTime,
    #[serde(default, with = "time::serde::timestamp::option")]
    started_at: Option<OffsetDateTime>,
    /// The hash of the current refresh token's secret.
    #[serde(default)]
    refresh_hash: Option<String>,
    /// The hashes of the ones it replaced, newest first, at most [`refresh::RETIRED`].
    #[serde(default)]
    retired: Vec<String>,
    /// When the newest of those was replaced.
    #[serde(default, with = "time::serde::timestamp::option")]
    rotated_at: Option<OffsetDateTime>,
}

impl Session {
    /// Whether the session is `username`'s, of the user's current epoch, and has not lapsed.
    fn is_live_for(&self, owner: &SessionOwner, username: &Username, now: OffsetDateTime) -> bool {
        &self.username == username && self.epoch == owner.session_epoch && self.expires_at > now
    }
}

/// What presenting a refresh token came to (see [`crate::refresh`]).
#[derive(Debug)]
pub enum Refreshed {
    /// The next token is the session's current one now (it was just rotated to, or had been a
    /// moment ago), and the session lasts until `until`.
    Rotated { user: User, until: OffsetDateTime },
    /// It was just replaced, but not by its next token (the key changed since): an access token,
    /// and no new refresh token.
    Previous { user: User },
    /// It was the previous one, long rotated away: `username`'s session is ended.
    Reused { username: Username },
    /// No live session has it.
    Refused,
    /// Other refreshes of the session kept winning the race to rotate it: try again.
    Busy,
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

    /// Stores a new user, unless the username is taken, or was a deleted account's not long ago
    /// (`Ok(None)`), and queues the e-mail that asks them to confirm their address, in one
    /// transaction. Of N simultaneous registrations of one name, exactly one succeeds: the check
    /// is the write's condition.
    pub async fn insert(
        &self,
        user: &NewUser,
        password_hash: String,
        tombstones: &PseudonymKey,
        created_at: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let stored = StoredUser {
            user: User {
                username: user.username.clone(),
                email: user.email.as_str().to_owned(),
                first_name: user.first_name.as_str().to_owned(),
                last_name: user.last_name.as_str().to_owned(),
                role: Role::Customer,
                created_at,
                email_verified: Some(false),
                pending_email: None,
            },
            password_hash,
            session_epoch: 0,
            pending_change: None,
        };
        let mut item = to_item(
            &user_pk(&user.username),
            &Listed {
                kind: USER_KIND,
                record: &stored,
            },
        )?;
        item.insert(list::INITIAL.to_owned(), list::initial(&user.username));
        let verification = crate::email::VerificationRequested {
            request: uuid::Uuid::new_v4().simple().to_string(),
            username: user.username.clone(),
            email: stored.user.email.clone(),
            change: None,
        };
        let inserted = self
            .table
            .transact(vec![
                self.table.transact_put_new(item)?,
                self.no_live_tombstone(tombstones, &user.username, created_at)?,
                self.verification_put(&verification, created_at)?,
            ])
            .await?;
        Ok(inserted.then_some(stored.user))
    }

    /// The user named `username`, read consistently so a log-in right after registering works.
    pub async fn find(&self, username: &Username) -> Result<Option<StoredUser>, StoreError> {
        self.table.get_record(user_pk(username), true).await
    }

    /// Whether a user named `username` exists.
    pub async fn exists(&self, username: &Username) -> Result<bool, StoreError> {
        Ok(self.table.get(user_pk(username), false).await?.is_some())
    }

    /// Records a new session of `user`, of its current epoch, continued by `refresh`; it lapses
    /// after [`refresh::IDLE`] unless refreshed. Answers when it lapses.
    pub async fn start_session(
        &self,
        refresh: &RefreshToken,
        user: &StoredUser,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, StoreError> {
        let session = Session {
            username: user.user.username.clone(),
            epoch: user.session_epoch,
            expires_at: now + refresh::IDLE,
            started_at: Some(now),
            refresh_hash: Some(refresh.hash()),
            retired: Vec::new(),
            rotated_at: None,
        };
        self.table
            .put(to_item(&session_pk(refresh.session_id()), &session)?)
            .await?;
        Ok(session.expires_at)
    }

    /// Trades `presented` for `next` (its derived successor), which continues the same session
    /// (see [`crate::refresh`]).
    pub async fn refresh(
        &self,
        presented: &RefreshToken,
        next: &RefreshToken,
        now: OffsetDateTime,
    ) -> Result<Refreshed, StoreError> {
        let pk = session_pk(presented.session_id());
        let hash = presented.hash();
        // A lost race to rotate is read again once: the winner's rotation makes this token the
        // one just replaced.
        for _ in 0..2 {
            let Some(session) = self.table.get_record::<Session>(pk.clone(), true).await? else {
                return Ok(Refreshed::Refused);
            };
            let owner = self
                .table
                .get_record::<SessionOwner>(user_pk(&session.username), true)
                .await?;
            let Some(owner) =
                owner.filter(|owner| session.is_live_for(owner, &session.username, now))
            else {
                return Ok(Refreshed::Refused);
            };
            if session.refresh_hash.as_ref() == Some(&hash) {
                let started = session.started_at.unwrap_or(now);
                let until = (now + refresh::IDLE).min(started + refresh::LIFETIME);
                if until <= now {
                    return Ok(Refreshed::Refused);
                }
                if self
                    .rotate(&pk, &session, &owner, &hash, next, now, until)
                    .await?
                {
                    return Ok(Refreshed::Rotated {
                        user: owner.user,
                        until,
                    });
                }
                continue;
            }
            let just_replaced = session.retired.first() == Some(&hash)
                && session
                    .rotated_at
                    .is_some_and(|rotated| now - rotated <= refresh::GRACE);
            if just_replaced {
                return Ok(if session.refresh_hash == Some(next.hash()) {
                    Refreshed::Rotated {
                        user: owner.user,
                        until: session.expires_at,
                    }
                } else {
                    Refreshed::Previous { user: owner.user }
                });
            }
            if session.retired.contains(&hash) {
                self.table.delete(pk).await?;
                return Ok(Refreshed::Reused {
                    username: session.username,
                });
            }
            return Ok(Refreshed::Refused);
        }
        Ok(Refreshed::Busy)
    }

    /// Replaces `session`'s current refresh token (whose hash is `current`) with `next`, unless
    /// it was replaced meanwhile, or the user's sessions were ended meanwhile (a password change,
    /// a sign-out everywhere): one transaction, `false` if either happened.
    #[allow(clippy::too_many_arguments)]
    async fn rotate(
        &self,
        pk: &str,
        session: &Session,
        owner: &SessionOwner,
        current: &str,
        next: &RefreshToken,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let retired: Vec<AttributeValue> = std::iter::once(current.to_owned())
            .chain(session.retired.iter().cloned())
            .take(refresh::RETIRED)
            .map(AttributeValue::S)
            .collect();
        let update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(pk))
            .update_expression(
                "SET refresh_hash = :next, retired = :retired, rotated_at = :now, expires_at = :until",
            )
            .condition_expression("refresh_hash = :current")
            .expression_attribute_values(":next", s(next.hash()))
            .expression_attribute_values(":retired", AttributeValue::L(retired))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":until", n(until.unix_timestamp()))
            .expression_attribute_values(":current", s(current))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        // Epoch 0 is also a user stored before epochs, without the attribute.
        let same_epoch = if owner.session_epoch == 0 {
            "attribute_not_exists(session_epoch) OR session_epoch = :epoch"
        } else {
            "session_epoch = :epoch"
        };
        let epoch = i64::try_from(owner.session_epoch).unwrap_or(i64::MAX);
        let check = ConditionCheck::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(&owner.user.username)))
            .condition_expression(same_epoch)
            .expression_attribute_values(":epoch", n(epoch))
            .build()
            .map_err(|err| StoreError::corrupt("build ConditionCheck", err.to_string()))?;
        self.table
            .transact(vec![
                TransactWriteItem::builder().update(update).build(),
                TransactWriteItem::builder().condition_check(check).build(),
            ])
            .await
    }

    /// Ends a session: every token naming it stops working at the next request.
    pub async fn end_session(&self, session_id: &str) -> Result<(), StoreError> {
        self.table.delete(session_pk(session_id)).await
    }

    /// Ends every session of `username`, at once; `false` if there is no such user.
    pub async fn end_all_sessions(&self, username: &Username) -> Result<bool, StoreError> {
        let update = self
            .table
            .update(user_pk(username))
            .update_expression(NEXT_EPOCH)
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0));
        self.table.update_if(update).await
    }

    /// Replaces `user`'s password hash with `new_hash` and ends all their sessions, unless the
    /// account changed since `user` was read (its password, address or sessions: `Ok(None)`):
    /// of two changes racing, one wins. A pending change of address is dropped (the owner may be
    /// taking the account back), and a confirmed address is told, in the same transaction.
    /// Answers the user as they are now, to start the session that follows.
    pub async fn change_password(
        &self,
        user: &StoredUser,
        new_hash: String,
        now: OffsetDateTime,
    ) -> Result<Option<StoredUser>, StoreError> {
        let epoch = i64::try_from(user.session_epoch).unwrap_or(i64::MAX);
        let update = Update::builder()
            .table_name(self.table.name())
            .key("pk", s(user_pk(&user.user.username)))
            .update_expression(format!(
                "{NEXT_EPOCH}, password_hash = :new REMOVE pending_email, pending_change"
            ))
            .condition_expression(
                "password_hash = :old AND email = :email \
                 AND (attribute_not_exists(session_epoch) OR session_epoch = :epoch)",
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":old", s(&user.password_hash))
            .expression_attribute_values(":email", s(&user.user.email))
            .expression_attribute_values(":epoch", n(epoch))
            .expression_attribute_values(":new", s(&new_hash))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        let mut writes = vec![TransactWriteItem::builder().update(update).build()];
        writes.extend(self.notice_if_confirmed(&user.user, Notice::PasswordChanged, now)?);
        if !self.table.transact_unless_refused(writes).await? {
            return Ok(None);
        }
        let mut changed = user.clone();
        changed.password_hash = new_hash;
        changed.session_epoch += 1;
        changed.user.pending_email = None;
        changed.pending_change = None;
        Ok(Some(changed))
    }

    /// The user behind a live session: `None` if the session was ended (alone, or with all the
    /// user's sessions), has lapsed, belongs to someone else, or its user is gone. Both reads are
    /// consistent and run concurrently.
    pub async fn session_user(
        &self,
        session_id: &str,
        username: &Username,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let (session, user) = tokio::try_join!(
            self.table
                .get_record::<Session>(session_pk(session_id), true),
            self.table
                .get_record::<SessionOwner>(user_pk(username), true)
        )?;
        Ok(user.and_then(|owner| {
            session
                .is_some_and(|session| session.is_live_for(&owner, username, now))
                .then_some(owner.user)
        }))
    }

    /// The counts of failed log-ins, kept in this table.
    pub fn limiter(&self) -> Limiter {
        Limiter::new(self.table.clone())
    }

    /// Gives `username` the role `role`; `false` if there is no such user.
    pub async fn set_role(&self, username: &Username, role: Role) -> Result<bool, StoreError> {
        let result = self
            .table
            .update(user_pk(username))
            .update_expression("SET #role = :role")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()));
        self.table.update_if(result).await
    }
}

/// Counts the user's session epoch up (from 0 when it was never set), ending every session; an
/// update expression's start, with `:zero` and `:one` to bind.
pub(crate) const NEXT_EPOCH: &str =
    "SET session_epoch = if_not_exists(session_epoch, :zero) + :one";

/// The start of every user item's key.
const USER_PREFIX: &str = "USER#";

pub(crate) fn user_pk(username: &Username) -> String {
    format!("{USER_PREFIX}{username}")
}

/// The user whose item (or index entry) `item` is, read from its key: [`user_pk`]'s inverse.
fn keyed_user(item: &shared::store::Item) -> Option<Username> {
    item.get("pk")
        .and_then(|pk| pk.as_s().ok())
        .and_then(|pk| pk.strip_prefix(USER_PREFIX))
        .and_then(|name| Username::parse(name).ok())
}

fn session_pk(session_id: &str) -> String {
    format!("SESSION#{session_id}")
}
