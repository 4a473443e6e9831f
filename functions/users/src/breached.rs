//! The bundled list of common breached passwords (NIST SP 800-63B, 5.1.1.2), which new passwords
//! may not be. Where it comes from, and how to regenerate it: `data/README.md`.
//!
//! 8,343 passwords, 81 KB, compiled into the functions that set passwords. A check scans the list
//! once (tens of microseconds), next to tens of milliseconds of hashing, so it is not indexed.

const LIST: &str = include_str!("../data/common-passwords.txt");

/// Whether `password`, case folded, is on the list. Case is folded because `Password1` is
/// guessed as soon as `password1` is.
pub(crate) fn is_common(password: &str) -> bool {
    let folded = password.to_lowercase();
    LIST.lines().any(|common| common == folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_lower_case_and_long_enough_to_matter() {
        let lines: Vec<&str> = LIST.lines().collect();
        assert_eq!(lines.len(), 8_343);
        assert!(lines.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(lines.iter().all(|line| line.chars().count() >= 8));
        assert!(lines.iter().all(|line| *line == line.to_lowercase()));
    }

    #[test]
    fn common_passwords_are_found_whatever_their_case() {
        for common in [
            "password",
            "Password1",
            "QWERTYUIOP",
            "iloveyou",
            "12345678",
        ] {
            assert!(is_common(common), "{common}");
        }
        for rare in [
            "correct horse battery",
            "Lovelace-1815-Analytical",
            "password 1",
        ] {
            assert!(!is_common(rare), "{rare}");
        }
    }
}
