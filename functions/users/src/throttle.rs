//! Limits on log-in attempts: passwords cannot be guessed at speed, and guessing cannot lock the
//! owner out where they usually log in from.
//!
//! Three counts of recent failures slow guessing down. Before a log-in reaches the password check
//! it reserves itself, atomically, against the account's counts: the reservation counts as a
//! failure unless the password turns out right. So N concurrent guesses cannot all slip past a
//! check made before any of them was counted: each one's reservation is a conditional write on
//! the counts it read, and of concurrent writers exactly one wins and the rest read again. The
//! client's count works differently; see [`Limiter`].
//!
//! | scope                                | free tries | then waits     | at most |
//! |--------------------------------------|------------|----------------|---------|
//! | the account, from one client address | 5          | 30 s, doubling | 15 min  |
//! | the client address, any account      | 50         | 30 s, doubling | 15 min  |
//! | the account, from any address        | 10         | 5 s, doubling  | 60 s    |
//!
//! The first two stop a guesser on one address. The third stops a guesser spread over many
//! addresses. Neither the second nor the third applies to an address the owner has logged in
//! from (in the last 90 days), so guessers elsewhere, or behind the same shared address, cannot
//! keep the owner out there. From a new address the owner may be refused while such guessing
//! goes on, each time for a minute at most. Counts lapse 15 minutes after the wait their last
//! failure started. An IPv6 client is counted by its /56 network (see [`Client`]).

use std::net::IpAddr;
use std::time::Duration;

use aws_sdk_dynamodb::types::TransactWriteItem;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::{Deserialize, Serialize};
use shared::error::ErrorCode;
use shared::http::ApiError;
use shared::store::{Item, StoreError, Table, from_item, n, to_item};
use time::OffsetDateTime;

use crate::domain::Username;
use crate::keys::KeysError;

/// How long a count of failures is kept after the wait its last failure started.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

/// How many times a reservation reads again after losing a race before it gives up with a 429.
const RACES: usize = 8;

/// How one scope slows guessing down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Failures allowed before any wait.
    pub free: u32,
    pub first_wait: Duration,
    pub longest_wait: Duration,
}

pub(crate) const ACCOUNT_FROM_CLIENT: Policy = Policy {
    free: 5,
    first_wait: Duration::from_secs(30),
    longest_wait: WINDOW,
};
pub(crate) const CLIENT: Policy = Policy {
    free: 50,
    first_wait: Duration::from_secs(30),
    longest_wait: WINDOW,
};
pub(crate) const ACCOUNT: Policy = Policy {
    free: 10,
    first_wait: Duration::from_secs(5),
    longest_wait: Duration::from_secs(60),
};

impl Policy {
    /// How long the next attempt waits after `failures` failures.
    pub(crate) fn wait_after(self, failures: u32) -> Duration {
        let Some(doublings) = failures.checked_sub(self.free) else {
            return Duration::ZERO;
        };
        self.first_wait
            .saturating_mul(1 << doublings.min(16))
            .min(self.longest_wait)
    }
}

/// Recent failures under one key, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Strikes {
    failures: u32,
    /// When the count lapses (the table's TTL attribute, so DynamoDB also deletes it).
    #[serde(with = "time::serde::timestamp")]
    expires_at: OffsetDateTime,
    /// No password check under this key before then. (Counts written before there were waits
    /// lack it.)
    #[serde(with = "time::serde::timestamp", default = "epoch")]
    not_before: OffsetDateTime,
}

fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

impl Strikes {
    /// The count after one more attempt at `now` on top of `current`, or how long to wait first.
    fn after_attempt(
        current: Option<&Self>,
        policy: Policy,
        now: OffsetDateTime,
    ) -> Result<Self, Duration> {
        let failures = match current {
            Some(strikes) if strikes.expires_at > now => {
                // Before the free tries are used up `not_before` is only when the last attempt
                // was counted, and an attempt whose clock read a second earlier (it lost the
                // race to that one) must not take it for a wait: a right password got a 429.
                let waiting = !policy.wait_after(strikes.failures).is_zero();
                if waiting && strikes.not_before > now {
                    return Err((strikes.not_before - now).unsigned_abs());
                }
                strikes.failures
            }
            _ => 0,
        };
        let failures = failures.saturating_add(1);
        let not_before = now + policy.wait_after(failures);
        Ok(Self {
            failures,
            expires_at: not_before + WINDOW,
            not_before,
        })
    }
}

/// The key CloudFront adds to every request it passes to the API (the `x-shop-edge-key` origin
/// header; the secret `EDGE_KEY_SECRET_ARN` names here). Behind CloudFront, API Gateway's
/// `sourceIp` is CloudFront's edge server, so CloudFront passes the viewer's address on in
/// `x-shop-viewer-address`; that header is believed only on a request carrying this key, which
/// callers of the API's own URL do not know.
#[derive(Clone)]
pub struct EdgeKey(String);

impl EdgeKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key in the secret named by `EDGE_KEY_SECRET_ARN`, read once at start-up. (After the
    /// secret is rotated and CloudFront redeployed, new instances read the new key; old ones
    /// count CloudFront's requests by the edge server's address until they are replaced.)
    pub async fn from_env(client: &aws_sdk_secretsmanager::Client) -> Result<Self, KeysError> {
        let secret_id = shared::config::required("EDGE_KEY_SECRET_ARN")?;
        Ok(Self(crate::keys::current_value(client, &secret_id).await?))
    }

    /// Whether `request` came through CloudFront. (Compared in constant time, though a remote
    /// timing attack on a 36-character random key is not a practical worry.)
    fn vouches_for(&self, request: &Request) -> bool {
        let Some(sent) = request.headers().get(EDGE_KEY_HEADER) else {
            return false;
        };
        let (sent, key) = (sent.as_bytes(), self.0.as_bytes());
        !key.is_empty()
            && sent.len() == key.len()
            && sent.iter().zip(key).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

impl std::fmt::Debug for EdgeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EdgeKey(<redacted>)")
    }
}

const EDGE_KEY_HEADER: &str = "x-shop-edge-key";
const VIEWER_ADDRESS_HEADER: &str = "x-shop-viewer-address";

/// Where a log-in comes from: the viewer's address CloudFront passed on, on a request CloudFront
/// vouches for; otherwise the address of the connection API Gateway saw (never a header the
/// client sets). An IPv4 address, or an IPv6 address's /56 network: what an ISP usually gives one
/// customer (a phone gets a /64, so up to 256 phones of one carrier may share a count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client(String);

impl Client {
    /// The address, or network, as counted.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A client as [`Self::as_str`] wrote it (into a queued request, say).
    pub(crate) fn counted(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn of(request: &Request, edge: &EdgeKey) -> Self {
        let claimed = request.headers().get(VIEWER_ADDRESS_HEADER);
        let vouched = edge.vouches_for(request);
        if claimed.is_some() && !vouched {
            // A caller of the API's own URL, or CloudFront with a key this instance does not
            // hold (the secret was rotated since it started): counted by the connection.
            tracing::warn!("a viewer's address came without CloudFront's key; not believed");
        }
        let viewer = claimed
            .filter(|_| vouched)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let source = viewer.or_else(|| match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
            _ => None,
        });
        Self::from_address(source.as_deref())
    }

    fn from_address(source: Option<&str>) -> Self {
        // An address with a port (`198.51.100.10:46532`, `[2001:db8::1]:46532`) counts as the
        // address alone.
        let parsed = source.and_then(|text| {
            let text = text.trim();
            text.parse::<IpAddr>()
                .ok()
                .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|at| at.ip()))
        });
        match parsed {
            Some(IpAddr::V4(ip)) => Self(ip.to_string()),
            Some(IpAddr::V6(ip)) => {
                let [a, b, c, d, ..] = ip.segments();
                Self(format!("{a:x}:{b:x}:{c:x}:{:x}::/56", d & 0xff00))
            }
            None => Self("unknown".into()),
        }
    }
}

/// A log-in attempt allowed to check its password. Its reservation counts as a failure until
/// [`Limiter::forgive`]; a failure from the client is counted by [`Limiter::failed`].
#[derive(Debug)]
#[must_use = "a log-in attempt ends forgiven or failed"]
pub struct Attempt {
    keys: Keys,
}

/// The items one attempt reads and writes.
#[derive(Debug, Clone)]
struct Keys {
    client: String,
    /// For a username a user could have: the account's count, its count from this client, and
    /// whether this client has logged in to it before.
    account: Option<AccountKeys>,
}

#[derive(Debug, Clone)]
struct AccountKeys {
    any_client: String,
    this_client: String,
    known: String,
}

impl Keys {
    fn new(username: Option<&Username>, client: &Client) -> Self {
        Self {
            client: format!("THROTTLE-CLIENT#{}", client.0),
            account: username.map(|username| AccountKeys {
                any_client: format!("THROTTLE#{username}"),
                this_client: format!("THROTTLE#{username}#FROM#{}", client.0),
                known: format!("THROTTLE#{username}#KNOWN#{}", client.0),
            }),
        }
    }
}

/// A client that has logged in to an account: it is spared the account's count across clients,
/// so guessers elsewhere cannot keep the owner out where they usually log in from.
#[derive(Debug, Serialize, Deserialize)]
struct Known {
    /// When it is forgotten (the table's TTL attribute).
    #[serde(with = "time::serde::timestamp")]
    expires_at: OffsetDateTime,
}

/// How long a client stays known to an account after its last log-in.
const KNOWN_FOR: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// The answer to an attempt that must wait: a 429 with `Retry-After`.
pub(crate) fn too_many(wait: Duration) -> ApiError {
    let seconds = u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1);
    let when = if seconds < 120 {
        format!("{seconds} seconds")
    } else {
        format!("{} minutes", seconds.div_ceil(60))
    };
    ApiError::new(
        ErrorCode::TooManyAttempts,
        format!("too many wrong passwords; try again in {when}"),
    )
    .with_retry_after(seconds)
}

/// The counts of failed log-ins, kept in the users table.
///
/// The account's counts are reserved exactly, before the check. The client's count is checked
/// before and counted after: everyone behind one address (an office, a mobile carrier's NAT) logs
/// in through it, and making them take turns at one item would slow them all down. So a burst of
/// N concurrent guesses at N different accounts may pass the client's limit by up to N; each
/// account still gets no more than its own limits allow.
#[derive(Debug, Clone)]
pub struct Limiter {
    table: Table,
}

impl Limiter {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// Reserves a password check for `username` (when it is one a user could have) from
    /// `client`, or answers how long to wait. Unknown usernames are counted like known ones, so
    /// the answer reveals nothing.
    pub async fn reserve(
        &self,
        username: Option<&Username>,
        client: &Client,
        now: OffsetDateTime,
    ) -> Result<Attempt, ApiError> {
        let keys = Keys::new(username, client);
        for _ in 0..RACES {
            let (client_count, (known, account)) = tokio::try_join!(
                self.table.get_record::<Strikes>(keys.client.clone(), true),
                self.account_counts(keys.account.as_ref(), now),
            )?;
            // A client the account knows is not held up by what others behind its address do.
            let mut wait = if known {
                Duration::ZERO
            } else {
                Strikes::after_attempt(client_count.as_ref(), CLIENT, now)
                    .err()
                    .unwrap_or_default()
            };
            let mut writes = Vec::new();
            for (key, policy, current) in account {
                match Strikes::after_attempt(current.as_ref(), policy, now) {
                    Ok(next) => writes.push(self.put_over(&key, current.as_ref(), &next)?),
                    Err(rest) => wait = wait.max(rest),
                }
            }
            if !wait.is_zero() {
                tracing::warn!(
                    wait_seconds = wait.as_secs(),
                    "password check refused: too many failures"
                );
                return Err(too_many(wait));
            }
            let attempt = Attempt { keys: keys.clone() };
            if writes.is_empty() {
                return Ok(attempt);
            }
            // Idempotent: an SDK retry of a write that did happen does not count the attempt twice.
            if self.table.transact(writes).await? {
                return Ok(attempt);
            }
            // Another attempt counted itself first: read the counts again.
        }
        tracing::warn!("log-in refused: the failure counts kept changing under it");
        Err(too_many(Duration::from_secs(1)))
    }

    /// Whether this client is known to the account, and the account's counts an attempt from it
    /// must reserve, with their policies: its count from this client, and its count across
    /// clients unless this client is known.
    async fn account_counts(
        &self,
        keys: Option<&AccountKeys>,
        now: OffsetDateTime,
    ) -> Result<(bool, Vec<(String, Policy, Option<Strikes>)>), StoreError> {
        let Some(keys) = keys else {
            return Ok((false, Vec::new()));
        };
        let (this_client, any_client, known) = tokio::try_join!(
            self.table
                .get_record::<Strikes>(keys.this_client.clone(), true),
            self.table
                .get_record::<Strikes>(keys.any_client.clone(), true),
            self.table.get_record::<Known>(keys.known.clone(), true),
        )?;
        // DynamoDB's TTL deletes within days, not at once: a lapsed item is not known.
        let known = known.is_some_and(|known| known.expires_at > now);
        let mut counts = vec![(keys.this_client.clone(), ACCOUNT_FROM_CLIENT, this_client)];
        if !known {
            counts.push((keys.any_client.clone(), ACCOUNT, any_client));
        }
        Ok((known, counts))
    }

    /// Whether `client` has logged in to `username` in the last [`KNOWN_FOR`].
    pub(crate) async fn is_known(
        &self,
        username: &Username,
        client: &Client,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let keys = Keys::new(Some(username), client);
        let Some(account) = keys.account else {
            return Ok(false);
        };
        let known = self.table.get_record::<Known>(account.known, true).await?;
        // DynamoDB's TTL deletes within days, not at once: a lapsed item is not known.
        Ok(known.is_some_and(|known| known.expires_at > now))
    }

    /// A right password: the account's count from this client starts again, and the client is
    /// known to the account from now on. (The account's count across clients stays, so that the
    /// owner logging in does not hand guessers elsewhere a fresh set of free tries; and the
    /// client's count stays, so a guesser cannot reset it with an account of their own.)
    ///
    /// Best effort: the password was right, and a write that fails here (a concurrent
    /// reservation holding the item, say) must not turn the log-in into an error. The count then
    /// lapses on its own.
    pub async fn forgive(&self, attempt: Attempt, now: OffsetDateTime) {
        let Some(keys) = attempt.keys.account else {
            return;
        };
        let known = Known {
            expires_at: now + KNOWN_FOR,
        };
        let remembered = async {
            let item = to_item(&keys.known, &known)?;
            self.table.put(item).await
        };
        let (cleared, remembered) = tokio::join!(self.table.delete(keys.this_client), remembered);
        if let Err(err) = cleared.and(remembered) {
            tracing::warn!(error = %err, "a right password's counts were not updated");
        }
    }

    /// A wrong password (or an unknown user): one more failure from the client. An atomic
    /// increment, so concurrent failures all count; once the count is past the free tries, the
    /// wait it starts only ever grows.
    pub async fn failed(&self, attempt: Attempt, now: OffsetDateTime) -> Result<(), StoreError> {
        let key = attempt.keys.client;
        let strikes = match self.count_one_more(&key, now).await? {
            Some(strikes) => strikes,
            None => {
                // No count, or one that has lapsed: this failure starts a new one, unless a
                // concurrent failure just did (then count on top of it).
                let first = Strikes::after_attempt(None, CLIENT, now)
                    .unwrap_or_else(|_| unreachable!("a first failure never waits"));
                let started = self
                    .table
                    .put_when(
                        to_item(&key, &first)?,
                        "attribute_not_exists(pk) OR expires_at <= :now",
                        &[],
                        Item::from([(":now".to_owned(), n(now.unix_timestamp()))]),
                    )
                    .await?;
                if started {
                    return Ok(());
                }
                self.count_one_more(&key, now).await?.ok_or_else(|| {
                    StoreError::corrupt(
                        "count a failed log-in",
                        "the count neither increments nor starts",
                    )
                })?
            }
        };
        let wait = CLIENT.wait_after(strikes.failures);
        if wait.is_zero() {
            return Ok(());
        }
        let not_before = now + wait;
        let result = self
            .table
            .update(key)
            .update_expression("SET not_before = :until, expires_at = :expires")
            .condition_expression("attribute_not_exists(not_before) OR not_before < :until")
            .expression_attribute_values(":until", n(not_before.unix_timestamp()))
            .expression_attribute_values(":expires", n((not_before + WINDOW).unix_timestamp()));
        self.table.update_if(result).await?;
        Ok(())
    }

    /// Adds one to the live count under `key`: the count as it is then, or `None` if there is no
    /// live count.
    async fn count_one_more(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Strikes>, StoreError> {
        let count = self
            .table
            .update(key)
            .update_expression("ADD failures :one")
            .condition_expression("expires_at > :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now.unix_timestamp()));
        self.table.updated(count).await?.map(from_item).transpose()
    }

    /// `next` under `key`, on condition that the item is still `current`.
    fn put_over(
        &self,
        key: &str,
        current: Option<&Strikes>,
        next: &Strikes,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = to_item(key, next)?;
        match current {
            None => self.table.transact_put_new(item),
            Some(seen) => self.table.transact_put(
                item,
                "failures = :failures AND expires_at = :expires",
                &[],
                Item::from([
                    (":failures".to_owned(), n(i64::from(seen.failures))),
                    (":expires".to_owned(), n(seen.expires_at.unix_timestamp())),
                ]),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

    #[test]
    fn waits_start_after_the_free_tries_and_double_up_to_the_cap() {
        let waits: Vec<u64> = (1..=12)
            .map(|failures| ACCOUNT_FROM_CLIENT.wait_after(failures).as_secs())
            .collect();
        assert_eq!(waits, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(ACCOUNT.wait_after(9), Duration::ZERO);
        assert_eq!(ACCOUNT.wait_after(10).as_secs(), 5);
        assert_eq!(ACCOUNT.wait_after(1_000).as_secs(), 60);
        assert_eq!(CLIENT.wait_after(u32::MAX), WINDOW);
    }

    #[test]
    fn an_attempt_during_a_wait_is_refused_for_the_rest_of_it() {
        let mut strikes = None;
        for _ in 0..5 {
            strikes =
                Some(Strikes::after_attempt(strikes.as_ref(), ACCOUNT_FROM_CLIENT, NOW).unwrap());
        }
        let strikes = strikes.unwrap();
        assert_eq!(strikes.failures, 5);
        assert_eq!(strikes.not_before, NOW + Duration::from_secs(30));
        let later = NOW + Duration::from_secs(10);
        assert_eq!(
            Strikes::after_attempt(Some(&strikes), ACCOUNT_FROM_CLIENT, later),
            Err(Duration::from_secs(20))
        );
        let after_the_wait = NOW + Duration::from_secs(30);
        let next =
            Strikes::after_attempt(Some(&strikes), ACCOUNT_FROM_CLIENT, after_the_wait).unwrap();
        assert_eq!(next.failures, 6);
        assert_eq!(next.not_before, after_the_wait + Duration::from_secs(60));
        assert_eq!(next.expires_at, next.not_before + WINDOW);
    }

    #[test]
    fn an_attempt_counted_a_second_later_by_another_clock_is_no_wait() {
        let later = NOW + Duration::from_secs(1);
        let counted = Strikes::after_attempt(None, ACCOUNT_FROM_CLIENT, later).unwrap();
        let next = Strikes::after_attempt(Some(&counted), ACCOUNT_FROM_CLIENT, NOW).unwrap();
        assert_eq!(next.failures, 2);
        // The last free try counted a second later still leaves this one; the first that
        // starts a wait (the fifth, 30 s) holds it, a second longer by this clock.
        let free = |failures| Strikes {
            failures,
            expires_at: later + WINDOW,
            not_before: later + ACCOUNT_FROM_CLIENT.wait_after(failures),
        };
        assert!(Strikes::after_attempt(Some(&free(4)), ACCOUNT_FROM_CLIENT, NOW).is_ok());
        assert_eq!(
            Strikes::after_attempt(Some(&free(5)), ACCOUNT_FROM_CLIENT, NOW),
            Err(Duration::from_secs(31))
        );
    }

    #[test]
    fn a_count_lapses_a_window_after_its_wait() {
        let old = Strikes {
            failures: 9,
            expires_at: NOW,
            not_before: NOW - WINDOW,
        };
        let fresh = Strikes::after_attempt(Some(&old), ACCOUNT_FROM_CLIENT, NOW).unwrap();
        assert_eq!(fresh.failures, 1);
        assert_eq!(fresh.not_before, NOW);
    }

    #[test]
    fn clients_are_the_address_or_its_ipv6_network() {
        assert_eq!(Client::from_address(Some("203.0.113.7")).0, "203.0.113.7");
        assert_eq!(
            Client::from_address(Some("2001:db8:1:2:3:4:5:6")),
            Client::from_address(Some("2001:db8:1:ff:ffff::1"))
        );
        assert_eq!(
            Client::from_address(Some("2001:db8:1:2:3:4:5:6")).0,
            "2001:db8:1:0::/56"
        );
        assert_ne!(
            Client::from_address(Some("2001:db8:1:100::1")),
            Client::from_address(Some("2001:db8:1:200::1"))
        );
        assert_eq!(
            Client::from_address(Some("198.51.100.10:46532")).0,
            "198.51.100.10"
        );
        assert_eq!(
            Client::from_address(Some("[2001:db8:1:2::9]:443")).0,
            "2001:db8:1:0::/56"
        );
        assert_eq!(Client::from_address(Some("not an address")).0, "unknown");
        assert_eq!(Client::from_address(None).0, "unknown");
    }

    #[test]
    fn the_answer_says_how_long_to_wait() {
        let seconds = too_many(Duration::from_millis(29_500));
        assert_eq!(seconds.status().as_u16(), 429);
        assert!(
            seconds.message().contains("30 seconds"),
            "{}",
            seconds.message()
        );
        let minutes = too_many(Duration::from_secs(900));
        assert!(
            minutes.message().contains("15 minutes"),
            "{}",
            minutes.message()
        );
    }
}
