//! Ticket codes: the per-event Ed25519 key pair that signs them.
//!
//! Every event gets its own key pair when it is created. The private half never leaves
//! the main database; gate devices get only the public half, enough to tell a real code
//! from a forged one.

use ed25519_dalek::SigningKey;

use crate::error::{Error, Result};

/// An event's Ed25519 key pair.
pub struct EventKeys {
    signing: SigningKey,
}

impl EventKeys {
    /// A fresh key pair from the operating system's random source.
    pub fn generate() -> Result<EventKeys> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Io {
            action: "read random bytes from",
            path: "the operating system".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(EventKeys {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// The 32-byte private seed, for storing in the main database only.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The 32-byte public key that verifies this event's codes.
    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fresh_and_consistent() {
        let a = EventKeys::generate().unwrap();
        let b = EventKeys::generate().unwrap();
        assert_ne!(a.secret_bytes(), b.secret_bytes());
        let again = SigningKey::from_bytes(&a.secret_bytes());
        assert_eq!(again.verifying_key().to_bytes(), a.public_bytes());
    }
}
