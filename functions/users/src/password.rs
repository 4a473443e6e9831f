//! Password hashing: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), which
//! are the `argon2` crate's defaults. Hashes are PHC strings, so they carry their own parameters
//! and old hashes still verify if the defaults ever change.
//!
//! Hashing takes tens of milliseconds of CPU by design, and runs right on the calling task: a
//! Lambda process handles one request at a time, so there is nothing else to stall. (On tokio's
//! blocking pool each new thread's allocator arena kept its own 19 MiB of hashing memory: the
//! benchmarks measured a 220 MB peak for `user-create`.)
//!
//! The 19 MiB a hash works in is one buffer per process, made once at start ([`reserving`])
//! and reused by every hash. The crate's own `PasswordHasher` allocates it afresh for each hash:
//! glibc's malloc then either maps and faults in 4,864 new pages every time (15 to 30 ms of a
//! log-in's CPU) or, once its dynamic mmap threshold has risen, keeps freed blocks on its heap
//! where later allocations pin them (`user-create` peaked at 1,167 MB in one benchmark run).
//! So hashing and verifying go through `hash_password_into_with_memory`, and this module builds
//! and reads the PHC strings itself, with the crate's types.
//!
//! The buffer keeps the last hash's memory until the next. Nothing else reads it, and what
//! could (a bug disclosing the process's memory) would find the plaintext password of the same
//! request, and the signing keys, beside it; wiping 19 MiB after every hash would cost a few
//! milliseconds of every log-in for no protection those lack.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use shared::error::ErrorCode;
use shared::http::HttpError;

use crate::domain::Password;

/// The hash of a random password nobody knows, with the same parameters as real hashes. Log-in
/// verifies against it when the user does not exist, so that an unknown username costs as much
/// time as a wrong password and response times do not reveal which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$YCxKG0n4bA+Fgfn5HT9+Ag$sU/ZMeaFnqFz9JPKRp2J+NMSEv8Qex9BCTdOtlmMVjk";

/// The most memory a stored hash may ask for: 64 MiB, over three times today's 19 MiB. A stored
/// hash is ours, but a damaged one must not make a function allocate gigabytes and be killed...
const MAX_BLOCKS: usize = 64 * 1024;
/// ...nor run every log-in of its account into the timeout (today's hashes make 2 passes).
const MAX_PASSES: u32 = 10;

/// The process's hash memory. A mutex, not a thread-local, so that tests hashing on several
/// threads at once share it too; in a Lambda process it is never contended.
static MEMORY: Mutex<Vec<Block>> = Mutex::new(Vec::new());

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    fn new(err: impl std::fmt::Display) -> Self {
        Self(err.to_string())
    }
}

impl HttpError for HashError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InternalError
    }
}

/// Runs `init` while the process's hash memory is made on a blocking thread, every page of it
/// touched, so that the first request does not pay for it (4,864 page faults). `init` mostly
/// waits for the network (the secrets), so the two overlap. The functions that hash wrap
/// their set-up in it, in `main`.
pub async fn reserving<T>(init: impl Future<Output = T>) -> T {
    let reserved = tokio::task::spawn_blocking(|| drop(memory(Params::default().block_count())));
    let value = init.await;
    // Only an allocation failure fails it, and that aborts the process first.
    if let Err(err) = reserved.await {
        tracing::warn!(error = %err, "the hash memory was not made at start");
    }
    value
}

/// The process's hash memory, at least `blocks` long. Pages are touched when the buffer grows
/// (`resize` writes zeros), once per process.
fn memory(blocks: usize) -> std::sync::MutexGuard<'static, Vec<Block>> {
    let mut memory = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    memory
}

/// Runs `argon2` in the process's hash memory (as many blocks as its parameters ask for),
/// writing `out.len()` bytes of hash. Every block is written before it is read, so what an
/// earlier hash left there does not matter.
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    let blocks = argon2.params().block_count();
    let mut memory = memory(blocks);
    argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        .map_err(HashError::new)
}

/// A new PHC-format hash of `password` with a fresh random salt.
pub async fn hash(password: Password) -> Result<String, HashError> {
    let salt = argon2::password_hash::try_generate_salt().map_err(HashError::new)?;
    let salt = Salt::new(&salt).map_err(HashError::new)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    compute(&argon2, password.expose(), &salt, &mut out)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(HashError::new)?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(HashError::new)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches `stored`. With no stored hash (unknown user) it still does the full
/// amount of work, against [`DUMMY_HASH`], and answers `false`.
pub async fn verify(password: Password, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let matches = matches(password.expose(), &hash).unwrap_or_else(|err| {
        tracing::error!(error = %err, "a stored password hash could not be checked");
        false
    });
    known && matches
}

/// Hashes `password` as `stored` says (algorithm, version, parameters, salt, length) and
/// compares the result with it in constant time (`Output`'s equality).
fn matches(password: &[u8], stored: &str) -> Result<bool, HashError> {
    let stored = PasswordHash::new(stored).map_err(HashError::new)?;
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return Err(HashError("a stored hash without its salt or hash".into()));
    };
    let algorithm = Algorithm::try_from(stored.algorithm.as_str()).map_err(HashError::new)?;
    let version = match stored.version {
        Some(version) => Version::try_from(version).map_err(HashError::new)?,
        None => Version::default(),
    };
    let params = Params::try_from(&stored).map_err(HashError::new)?;
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS || params.t_cost() > MAX_PASSES {
        return Err(HashError(format!(
            "a stored hash asks for {blocks} KiB and {} passes",
            params.t_cost()
        )));
    }
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    compute(
        &Argon2::new(algorithm, version, params),
        password,
        salt,
        out,
    )?;
    Ok(Output::new(out).map_err(HashError::new)? == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher, PasswordVerifier};

    fn password(text: &str) -> Password {
        Password::candidate(text.into()).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash(password("correct horse")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(password("correct horse"), Some(stored.clone())).await);
        assert!(!verify(password("correct horsE"), Some(stored)).await);
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_their_salt() {
        let first = hash(password("correct horse")).await.unwrap();
        let second = hash(password("correct horse")).await.unwrap();
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn the_crates_own_hashes_verify_and_ours_verify_there() {
        // Hashes stored before this module hashed in its own memory were the crate's.
        let theirs = Argon2::default()
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        assert!(verify(password("correct horse"), Some(theirs.clone())).await);
        assert!(!verify(password("wrong horse"), Some(theirs)).await);
        let ours = hash(password("correct horse")).await.unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_hash_with_other_parameters_verifies_with_them() {
        // If the defaults change, the hashes stored before still verify with their own.
        let params = Params::new(8 * 1024, 3, 1, Some(24)).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let stored = argon2.hash_password(b"correct horse").unwrap().to_string();
        assert!(stored.contains("$m=8192,t=3,p=1$"));
        assert!(verify(password("correct horse"), Some(stored.clone())).await);
        assert!(!verify(password("correct horsE"), Some(stored)).await);
    }

    #[tokio::test]
    async fn an_older_version_and_more_lanes_verify() {
        for (version, lanes) in [
            (Version::V0x10, 1),
            (Version::V0x13, 2),
            (Version::V0x10, 4),
        ] {
            let params = Params::new(8 * 1024, 2, lanes, None).unwrap();
            let argon2 = Argon2::new(Algorithm::Argon2id, version, params);
            let stored = argon2.hash_password(b"correct horse").unwrap().to_string();
            assert!(
                verify(password("correct horse"), Some(stored.clone())).await,
                "{stored}"
            );
            assert!(!verify(password("correct horsE"), Some(stored)).await);
        }
    }

    #[test]
    fn what_an_earlier_hash_left_in_the_memory_does_not_matter() {
        // The crate zeroes fresh memory; ours holds the last hash's. Every block must be
        // written before it is read, in every pass, or the two would differ.
        let params = Params::new(8 * 1024, 3, 2, None).unwrap();
        let blocks = params.block_count();
        for version in [Version::V0x10, Version::V0x13] {
            let argon2 = Argon2::new(Algorithm::Argon2id, version, params.clone());
            let mut theirs = [0u8; 32];
            argon2
                .hash_password_into(b"pw", b"saltsalt", &mut theirs)
                .unwrap();
            let mut garbage = Block::default();
            garbage.as_mut().fill(0xA5A5_A5A5_A5A5_A5A5);
            memory(blocks).fill(garbage);
            let mut ours = [0u8; 32];
            compute(&argon2, b"pw", b"saltsalt", &mut ours).unwrap();
            assert_eq!(ours, theirs);
        }
    }

    #[tokio::test]
    async fn unknown_users_never_match() {
        assert!(!verify(password("correct horse"), None).await);
    }

    #[tokio::test]
    async fn a_damaged_stored_hash_never_matches() {
        let greedy = "$argon2id$v=19$m=4194304,t=2,p=1$YCxKG0n4bA+Fgfn5HT9+Ag$sU/ZMeaFnqFz9JPKRp2J+NMSEv8Qex9BCTdOtlmMVjk";
        let slow = "$argon2id$v=19$m=19456,t=1000,p=1$YCxKG0n4bA+Fgfn5HT9+Ag$sU/ZMeaFnqFz9JPKRp2J+NMSEv8Qex9BCTdOtlmMVjk";
        let stored = [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1",
            greedy,
            slow,
        ];
        for stored in stored {
            assert!(
                !verify(password("correct horse"), Some(stored.into())).await,
                "{stored}"
            );
        }
        let memory = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(memory.len() <= MAX_BLOCKS);
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&dummy).unwrap();
        let defaults = Params::default();
        assert_eq!(dummy.algorithm, argon2::ARGON2ID_IDENT);
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (defaults.m_cost(), defaults.t_cost(), defaults.p_cost())
        );
    }
}
