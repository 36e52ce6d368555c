//! Ticket codes: what a QR code carries, signed with the event's Ed25519 key.
//!
//! Every event gets its own key pair when it is created. The private half never leaves
//! the main database; gate devices get only the public half, enough to tell a real code
//! from a forged one without a network. The byte format is documented in
//! `docs/ticket-codes.md`:
//!
//! ```text
//! payload = base32( 0x01 | varint(event_id) | varint(tier_id) | uuid[16] | varint(secret_version) | ed25519_signature[64] )
//! ```
//!
//! The signature covers every byte before it. A transfer bumps the ticket's secret
//! version, so a code printed before it no longer matches the ticket and is dead.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The first byte of every payload of this format.
pub const FORMAT_V1: u8 = 0x01;
pub const SIGNATURE_LEN: usize = 64;
/// The longest text a ticket code can be (ids of up to 2^63 and version too): longer
/// scanned text is not a code, and is not kept as evidence.
pub const MAX_CODE_LEN: usize = 200;

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

    /// The key pair from its stored 32-byte private seed.
    pub fn from_secret(bytes: &[u8]) -> Result<EventKeys> {
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Corrupt("an event's signing key is not 32 bytes".into()))?;
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

    /// Signs a ticket's identity into the text its QR code carries.
    pub fn sign(&self, code: &TicketCode) -> String {
        payload(code, &self.signature(code))
    }

    /// The signature of a ticket's code. Ed25519 signatures are deterministic (RFC 8032):
    /// signing the same code again gives the same bytes, so a stored signature is the
    /// code, kept rather than computed on every read.
    pub fn signature(&self, code: &TicketCode) -> [u8; SIGNATURE_LEN] {
        self.signing.sign(&code.body()).to_bytes()
    }
}

/// The text a QR code carries: the code's identity and its signature.
pub fn payload(code: &TicketCode, signature: &[u8; SIGNATURE_LEN]) -> String {
    let mut bytes = code.body();
    bytes.extend_from_slice(signature);
    base32_encode(&bytes)
}

/// A signature as it is stored in the database: standard base64, 88 characters.
pub fn signature_text(signature: &[u8; SIGNATURE_LEN]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(signature)
}

/// A stored signature read back; `None` if the text is not one.
pub fn signature_from_text(text: &str) -> Option<[u8; SIGNATURE_LEN]> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?
        .try_into()
        .ok()
}

/// What a ticket code identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketCode {
    /// The event the ticket is for (also names the key that signed it).
    pub event_id: i64,
    /// The ticket's tier.
    pub tier_id: i64,
    /// The ticket's UUID.
    pub uuid: Uuid,
    /// Bumped on every re-issue (transfer); older codes are dead.
    pub secret_version: i64,
}

impl TicketCode {
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(96);
        b.push(FORMAT_V1);
        put_varint(&mut b, self.event_id as u64);
        put_varint(&mut b, self.tier_id as u64);
        b.extend_from_slice(self.uuid.as_bytes());
        put_varint(&mut b, self.secret_version as u64);
        b
    }
}

/// Why a scanned text is not a good code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Not a tix code at all (wrong alphabet, length or format byte).
    Malformed,
    /// Well-formed, but the signature does not match the event's key.
    BadSignature,
}

/// A code read from its text, not yet checked against a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    /// What the code claims.
    pub code: TicketCode,
    signed: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
}

impl Unverified {
    /// Is this the code whose stored signature is `stored`? The same identity signed by the
    /// same key gives the same signature, so equal bytes mean the code is the one tix
    /// issued, with no signature check (compared in constant time).
    pub fn is_stored(&self, stored: &[u8; SIGNATURE_LEN]) -> bool {
        self.signature
            .iter()
            .zip(stored)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// Checks the signature with the event's public key.
    pub fn verify(&self, public_key: &[u8]) -> std::result::Result<TicketCode, CodeError> {
        let key: [u8; 32] = public_key.try_into().map_err(|_| CodeError::BadSignature)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| CodeError::BadSignature)?;
        key.verify_strict(&self.signed, &Signature::from_bytes(&self.signature))
            .map(|()| self.code)
            .map_err(|_| CodeError::BadSignature)
    }
}

/// Reads a code's text (case-insensitive, surrounding blanks ignored) without checking
/// its signature: the event id it names says which key to check it with.
pub fn parse(text: &str) -> std::result::Result<Unverified, CodeError> {
    let bytes = base32_decode(text.trim()).ok_or(CodeError::Malformed)?;
    if bytes.len() < 1 + 1 + 1 + 16 + 1 + SIGNATURE_LEN || bytes.first() != Some(&FORMAT_V1) {
        return Err(CodeError::Malformed);
    }
    let (signed, sig) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let mut pos = 1;
    let event_id = get_varint(signed, &mut pos).ok_or(CodeError::Malformed)?;
    let tier_id = get_varint(signed, &mut pos).ok_or(CodeError::Malformed)?;
    let uuid_bytes: [u8; 16] = signed
        .get(pos..pos + 16)
        .and_then(|s| s.try_into().ok())
        .ok_or(CodeError::Malformed)?;
    pos += 16;
    let secret_version = get_varint(signed, &mut pos).ok_or(CodeError::Malformed)?;
    if pos != signed.len() {
        return Err(CodeError::Malformed);
    }
    let signature: [u8; SIGNATURE_LEN] = sig.try_into().map_err(|_| CodeError::Malformed)?;
    Ok(Unverified {
        code: TicketCode {
            event_id,
            tier_id,
            uuid: Uuid::from_bytes(uuid_bytes),
            secret_version,
        },
        signed: signed.to_vec(),
        signature,
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an unsigned LEB128 varint that fits in an `i64`, in its shortest form only (so
/// every value has exactly one encoding and no code has a second spelling).
fn get_varint(bytes: &[u8], pos: &mut usize) -> Option<i64> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 {
                return None;
            }
            return i64::try_from(v).ok();
        }
    }
    None
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: upper-case letters and digits only, so the text fits
/// a QR code's compact alphanumeric mode and survives shells, URLs and keyboard wedges.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes [`base32_encode`]'s text (either case). Refuses other characters and
/// non-canonical trailing bits.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if bits >= 5 || acc != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> TicketCode {
        TicketCode {
            event_id: 42,
            tier_id: 7,
            uuid: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            secret_version: 1,
        }
    }

    #[test]
    fn keys_are_fresh_and_consistent() {
        let a = EventKeys::generate().unwrap();
        let b = EventKeys::generate().unwrap();
        assert_ne!(a.secret_bytes(), b.secret_bytes());
        let again = EventKeys::from_secret(&a.secret_bytes()).unwrap();
        assert_eq!(again.public_bytes(), a.public_bytes());
    }

    #[test]
    fn signed_code_round_trips_and_is_short_and_qr_alphanumeric() {
        let keys = EventKeys::generate().unwrap();
        let text = keys.sign(&sample());
        assert!(text.len() <= 140, "{} chars", text.len());
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        let code = parse(&text).unwrap().verify(&keys.public_bytes()).unwrap();
        assert_eq!(code, sample());
        let lower = parse(&text.to_lowercase()).unwrap();
        assert_eq!(lower.verify(&keys.public_bytes()).unwrap(), sample());
    }

    #[test]
    fn another_events_key_does_not_verify() {
        let keys = EventKeys::generate().unwrap();
        let other = EventKeys::generate().unwrap();
        let text = other.sign(&sample());
        assert_eq!(
            parse(&text).unwrap().verify(&keys.public_bytes()),
            Err(CodeError::BadSignature)
        );
    }

    #[test]
    fn every_single_changed_character_breaks_the_code() {
        let keys = EventKeys::generate().unwrap();
        let text = keys.sign(&sample());
        for i in 0..text.len() {
            for replacement in ['A', 'Q', '7'] {
                let mut chars: Vec<char> = text.chars().collect();
                if chars[i] == replacement {
                    continue;
                }
                chars[i] = replacement;
                let changed: String = chars.into_iter().collect();
                let ok = parse(&changed).and_then(|u| u.verify(&keys.public_bytes()));
                assert!(
                    ok.is_err(),
                    "changing char {i} to {replacement} still verified"
                );
            }
        }
    }

    #[test]
    fn a_new_secret_version_is_a_different_code() {
        let keys = EventKeys::generate().unwrap();
        let v1 = keys.sign(&sample());
        let v2 = keys.sign(&TicketCode {
            secret_version: 2,
            ..sample()
        });
        assert_ne!(v1, v2);
        assert_eq!(parse(&v2).unwrap().code.secret_version, 2);
    }

    #[test]
    fn garbage_is_malformed() {
        for bad in [
            "",
            "hello",
            "0123",
            "AE",
            "AAAAAAAA",
            "ÄÖÜ",
            "1e8b2f4c-0000-4000-8000-000000000000",
        ] {
            assert_eq!(parse(bad).err(), Some(CodeError::Malformed), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            prop_assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn parse_never_panics(text in "[A-Z2-7a-z0-9 -]{0,200}") {
            let _ = parse(&text);
        }

        /// Any bytes a scanner can type (read as text the way the scan loop reads them),
        /// and any well-formed payload with its bytes changed, are refused without a panic
        /// and never verify under a key that did not sign them.
        #[test]
        fn arbitrary_input_never_verifies(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            payload in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let keys = EventKeys::from_secret(&[9u8; 32]).unwrap();
            for text in [String::from_utf8_lossy(&bytes).into_owned(), base32_encode(&payload)] {
                if let Ok(u) = parse(&text) {
                    prop_assert!(u.verify(&keys.public_bytes()).is_err());
                    prop_assert!(u.verify(&payload).is_err() || payload.len() == 32);
                }
            }
        }

        #[test]
        fn codes_round_trip(event_id in 1i64..i64::MAX, tier_id in 1i64..1_000_000_000, v in 1i64..1_000_000, u in any::<u128>()) {
            let keys = EventKeys::from_secret(&[7u8; 32]).unwrap();
            let code = TicketCode { event_id, tier_id, uuid: Uuid::from_u128(u), secret_version: v };
            let text = keys.sign(&code);
            prop_assert_eq!(parse(&text).unwrap().verify(&keys.public_bytes()).unwrap(), code);
        }
    }
}
