//! The passphrase's PBKDF2 in the browser's WebCrypto: the same algorithm, parameters and
//! bytes as [`kdf::derive`], so every existing profile opens, at native speed instead of
//! pure Rust in wasm (600,000 rounds of HMAC-SHA-256 took 375 ms and more of every unlock).
//! Where WebCrypto is missing (a page served over plain http from a LAN address is not a
//! secure context, so it has no `crypto.subtle`), the Rust derivation runs instead.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::SecretKey;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Pbkdf2Params;

/// The key-encryption key for `passphrase` under `params`.
pub async fn derive(passphrase: String, params: KdfParams) -> SecretKey {
    match subtle_derive(&passphrase, &params).await {
        Some(key) => key,
        None => kdf::derive(&passphrase, &params),
    }
}

/// WebCrypto's PBKDF2-SHA-256, or `None` where the browser cannot run it.
pub async fn subtle_derive(passphrase: &str, params: &KdfParams) -> Option<SecretKey> {
    if params.algorithm != "pbkdf2-sha256" {
        return None;
    }
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    let raw = Uint8Array::from(passphrase.as_bytes());
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let base = subtle
        .import_key_with_str("raw", &raw, "PBKDF2", false, &usages)
        .ok()?;
    let base: web_sys::CryptoKey = JsFuture::from(base).await.ok()?.dyn_into().ok()?;
    let salt = Uint8Array::from(params.salt.as_slice());
    let algorithm = Pbkdf2Params::new(
        "PBKDF2",
        &JsValue::from_str("SHA-256"),
        params.iterations,
        &salt,
    );
    let bits = subtle
        .derive_bits_with_object(&algorithm, &base, 256)
        .ok()?;
    let bits: ArrayBuffer = JsFuture::from(bits).await.ok()?.dyn_into().ok()?;
    let bytes = Uint8Array::new(&bits).to_vec();
    let key: [u8; 32] = bytes.try_into().ok()?;
    Some(SecretKey::from_bytes(key))
}
