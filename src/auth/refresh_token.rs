//! Refresh tokens: `<selector>.<verifier>`. The selector (96 bits, hex) finds the token's row;
//! the verifier (256 random bits, base64url) proves it, and only its SHA-256 is stored and
//! compared, in constant time. The token a refresh hands out is derived from the one presented
//! with an HMAC under the server's key, so a client that lost the answer and asks again gets
//! the same tokens, while nobody without the key can compute a session's next token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// A refresh token, parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    selector: String,
    verifier: [u8; 32],
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The verifier is a secret: it never reaches a log.
        write!(f, "RefreshToken({}.…)", self.selector)
    }
}

impl RefreshToken {
    /// A fresh token, from the system's random source.
    pub fn random() -> RefreshToken {
        let mut rng = rand::thread_rng();
        let mut selector = [0u8; 12];
        let mut verifier = [0u8; 32];
        rng.fill_bytes(&mut selector);
        rng.fill_bytes(&mut verifier);
        RefreshToken {
            selector: hex(&selector),
            verifier,
        }
    }

    /// The token in `text`, if it has the shape of one.
    pub fn parse(text: &str) -> Option<RefreshToken> {
        let (selector, verifier) = text.split_once('.')?;
        if selector.len() != 24 || !selector.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(verifier).ok()?;
        Some(RefreshToken {
            selector: selector.to_ascii_lowercase(),
            verifier: bytes.try_into().ok()?,
        })
    }

    /// The part that finds the token's row.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// What is stored of the secret part: its SHA-256, hex.
    pub fn verifier_hash(&self) -> String {
        hex(&Sha256::digest(self.verifier))
    }

    /// Whether this token's secret part hashes to `stored`, compared in constant time.
    pub fn matches(&self, stored: &str) -> bool {
        self.verifier_hash()
            .as_bytes()
            .ct_eq(stored.as_bytes())
            .into()
    }

    /// The token a refresh of this one hands out.
    pub fn next(&self, key: &[u8]) -> RefreshToken {
        let selector = mac(key, b"selector", &self.verifier);
        RefreshToken {
            selector: hex(&selector[..12]),
            verifier: mac(key, b"verifier", &self.verifier),
        }
    }

    /// The `jti` of the access token issued beside this refresh token (the same on a retry).
    pub fn access_jti(&self, key: &[u8]) -> String {
        hex(&mac(key, b"jti", &self.verifier)[..16])
    }
}

impl std::fmt::Display for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}",
            self.selector,
            URL_SAFE_NO_PAD.encode(self.verifier)
        )
    }
}

/// SHA-256 of `text`, hex: how one-time codes are stored.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Whether two stored hashes are equal, compared in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn mac(key: &[u8], label: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(label);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `bytes` in lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_and_matches_only_its_own_hash() {
        let token = RefreshToken::random();
        let text = token.to_string();
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed, token);
        assert!(parsed.matches(&token.verifier_hash()));
        assert!(!parsed.matches(&RefreshToken::random().verifier_hash()));
        assert!(!format!("{token:?}").contains(&text[25..]));
    }

    #[test]
    fn the_next_token_is_the_same_for_the_same_key_and_differs_for_another() {
        let token = RefreshToken::random();
        assert_eq!(token.next(b"k1"), token.next(b"k1"));
        assert_ne!(token.next(b"k1"), token.next(b"k2"));
        assert_ne!(token.next(b"k1"), token);
        assert_eq!(token.access_jti(b"k1"), token.access_jti(b"k1"));
    }

    #[test]
    fn malformed_tokens_are_not_read() {
        for bad in [
            "",
            ".",
            "abc.def",
            "zz0000000000000000000000.AAAA",
            "x".repeat(300).as_str(),
        ] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad}");
        }
        let good = RefreshToken::random().to_string();
        assert!(RefreshToken::parse(&good[..good.len() - 1]).is_none());
    }
}
