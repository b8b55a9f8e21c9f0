//! Token verification. The first byte picks a mode:
//! 0, any text as a token: nothing unsigned can pass;
//! 1, a header and claims (split at the first 0xFF) signed with HMAC-SHA256, keyed by the
//!    node's secret or, for HS/RS confusion, by the RS256 public key's PEM text: it may pass
//!    only with `alg: HS256` and the real secret;
//! 2, claims under a good HS256 header and signature: a pass must carry the checked claims.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use imcluster::auth::Tokens;
use imcluster::config::Config;
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const SECRET: &str = "fuzzing-secret-fuzzing-secret-0123456789";
const PUBLIC_PEM: &str = include_str!("../keys/rs256_public.pem");

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let mut config = Config::default();
        config.jwt.secret = SECRET.into();
        config.jwt.rs256_public_key = PUBLIC_PEM.into();
        config.validate().expect("the fuzz configuration is valid");
        Tokens::from_config(&config)
    })
}

/// The claims a passing token must have carried.
#[derive(serde::Deserialize)]
struct Checked {
    sub: String,
    iss: String,
    exp: f64,
}

fn signed(header: &[u8], claims: &[u8], key: &[u8]) -> String {
    let body = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(body.as_bytes());
    format!(
        "{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else {
        return;
    };
    let tokens = tokens();
    match mode % 3 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                assert!(
                    tokens.verify(text).is_err(),
                    "an unsigned token passed: {text}"
                );
            }
        }
        1 => {
            let split = rest.iter().position(|b| *b == 0xff).unwrap_or(rest.len());
            let (header, claims) = (&rest[..split], rest.get(split + 1..).unwrap_or_default());
            let confused = mode & 0x80 != 0;
            let key = if confused {
                PUBLIC_PEM.as_bytes()
            } else {
                SECRET.as_bytes()
            };
            if tokens.verify(&signed(header, claims, key)).is_ok() {
                assert!(!confused, "a token signed with the public key passed");
                let header: serde_json::Value = serde_json::from_slice(header).unwrap();
                assert_eq!(header["alg"], "HS256");
            }
        }
        _ => {
            let header = br#"{"alg":"HS256","typ":"JWT"}"#;
            if let Ok(identity) = tokens.verify(&signed(header, rest, SECRET.as_bytes())) {
                // Read the way the verifier reads them: fields it ignores (even with bytes
                // that are not UTF-8, which serde skips unchecked) stay ignored here too.
                let claims: Checked = serde_json::from_slice(rest).unwrap();
                assert_eq!(
                    uuid::Uuid::parse_str(&claims.sub).ok(),
                    Some(identity.user_id)
                );
                assert_eq!(claims.iss, "imcluster");
                assert!(claims.exp > 0.0);
            }
        }
    }
});
