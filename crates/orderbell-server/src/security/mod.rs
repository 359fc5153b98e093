//! Passwords, random tokens and the keys derived from them.

pub mod password;
pub mod token;
pub mod totp;
pub mod tracking;
pub mod webauthn;

/// Bytes from the operating system's CSPRNG. Failing to read it is unrecoverable.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(e) = getrandom::fill(&mut bytes) {
        // Without randomness no token or id would be safe; stopping is the only honest answer.
        tracing::error!(error = %e, "the system random number generator failed");
        std::process::abort();
    }
    bytes
}
