//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane), and the policy
//! every new password meets (NIST SP 800-63B §5.1.1.2, docs/accounts.md). Hashing is slow on
//! purpose, so it runs on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&super::random_bytes::<16>())?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC string (constant time inside argon2).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of nothing, verified when the e-mail is unknown so both paths take as long.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W1bcdYB1IvjMmxxsTyNq0Y3N4HP8b2cWEBl2Lf4nZAk";

pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || hash(&password)).await??)
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let found = stored.is_some();
        let ok = verify(&password, stored.as_deref().unwrap_or(DUMMY_HASH));
        found && ok
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
        // The dummy hash parses, so the unknown-user path does the same work.
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}

/// zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash
/// scenarios" (about 10^8 guesses and more).
const MIN_SCORE: u8 = 3;
/// zxcvbn's work grows quickly with length; the first characters tell enough.
const JUDGED_CHARS: usize = 100;

/// Why a new password is refused (the words are the page's, in its language).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    /// Common, breached or easy to guess (zxcvbn score below 3), or built on the account's own
    /// e-mail or name.
    Guessable,
}

impl Weakness {
    /// The sentence for API errors.
    pub fn message(self) -> &'static str {
        match self {
            Weakness::TooShort => "password must be at least 10 characters",
            Weakness::TooLong => "password must be at most 1024 characters",
            Weakness::Guessable => {
                "password is too easy to guess (a common password, a pattern, or your own e-mail or name); use a few unrelated words"
            }
        }
    }
}

/// Checks a new password: 10 to 1024 characters, and not guessable. `about_user` are the
/// account's e-mail and name, which must not carry the password.
pub fn check_new(password: &str, about_user: &[&str]) -> Result<(), Weakness> {
    if let Err(message) = orderbell_core::user::check_password(password) {
        return Err(if message.contains("least") {
            Weakness::TooShort
        } else {
            Weakness::TooLong
        });
    }
    let judged: String = password.chars().take(JUDGED_CHARS).collect();
    // The words of the e-mail and the name count as the user's own too, apart and run
    // together ("Kim Minji" → "kim", "minji", "kimminji").
    let separators = ['@', '.', ' ', '-', '_', '+'];
    let mut inputs: Vec<String> = vec![];
    for s in about_user {
        let lower = s.to_lowercase();
        inputs.extend(
            lower
                .split(separators)
                .filter(|w| w.chars().count() > 2)
                .map(str::to_owned),
        );
        inputs.extend(lower.split('@').map(str::to_owned));
        inputs.push(lower.replace(separators, ""));
        inputs.push(lower);
    }
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let score = u8::from(zxcvbn::zxcvbn(&judged, &inputs).score());
    if score < MIN_SCORE {
        return Err(Weakness::Guessable);
    }
    Ok(())
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    #[test]
    fn common_short_and_personal_passwords_are_refused() {
        let me = ["kim.minji@cafe.kr", "Kim Minji"];
        assert_eq!(check_new("short", &me), Err(Weakness::TooShort));
        assert_eq!(check_new(&"x".repeat(1025), &me), Err(Weakness::TooLong));
        for weak in [
            "password123",
            "qwertyuiop",
            "1234567890",
            "iloveyou12",
            "kimminji2024",
            "cafe.kr1234",
        ] {
            assert_eq!(check_new(weak, &me), Err(Weakness::Guessable), "{weak}");
        }
        for strong in [
            "correct horse battery staple",
            "a long password",
            "삼겹살과 김치찌개 두 그릇",
        ] {
            assert_eq!(check_new(strong, &me), Ok(()), "{strong}");
        }
    }
}
