//! The passphrase's PBKDF2 in the browser's WebCrypto: the same algorithm, parameters and
//! bytes as [`kdf::derive`], so every existing profile opens, at native speed instead of
//! pure Rust in wasm (600,000 rounds of HMAC-SHA-256 took 375 ms and more of every unlock).
//! Where WebCrypto is missing (a page served over plain http from a LAN address is not a
//! secure context, so it has no `crypto.subtle`), the Rust derivation runs instead.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use peerchat_vault::envelope;
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::SecretKey;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, Pbkdf2Params};

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

/// Piece `index` of `file` sealed for the vault, as [`peerchat_vault::FilePieces::put`]
/// seals it (the same envelope, key and associated data) but with WebCrypto's AES-GCM,
/// in hardware: AES-GCM in wasm sealed about 30 MB/s, a ceiling on every download.
pub async fn seal_piece<S: peerchat_vault::Store>(
    pieces: &peerchat_vault::FilePieces<'_, S>,
    file: &str,
    index: u32,
    nonce: [u8; 12],
    bytes: &[u8],
) -> Vec<u8> {
    let key = pieces.data_key();
    let aad = pieces.record_key(file, index);
    match subtle_aes(key, "encrypt", &nonce, aad.as_bytes(), bytes).await {
        Some(sealed) => envelope::assemble(nonce, &sealed),
        None => envelope::seal(key, nonce, aad.as_bytes(), bytes),
    }
}

/// Piece `index` of `file` from the vault, opened with WebCrypto; an envelope that does
/// not open there (damaged, or WebCrypto missing) is opened in Rust, which says why.
pub async fn open_piece<S: peerchat_vault::Store>(
    pieces: &peerchat_vault::FilePieces<'_, S>,
    file: &str,
    index: u32,
) -> Result<Option<Vec<u8>>, peerchat_vault::VaultError> {
    let Some(sealed) = pieces.get_sealed(file, index).await? else {
        return Ok(None);
    };
    let aad = pieces.record_key(file, index);
    let opened = match envelope::split(&sealed) {
        Ok((nonce, ciphertext)) => {
            subtle_aes(
                pieces.data_key(),
                "decrypt",
                nonce,
                aad.as_bytes(),
                ciphertext,
            )
            .await
        }
        Err(_) => None,
    };
    match opened {
        Some(bytes) => Ok(Some(bytes)),
        None => pieces.open(file, index, &sealed).map(Some),
    }
}

/// AES-256-GCM (128-bit tag, ciphertext then tag, as the `aes-gcm` crate) with `key` in
/// WebCrypto: `usage` "encrypt" or "decrypt". `None` where the browser has no WebCrypto
/// or refuses (a forged envelope).
async fn subtle_aes(
    key: &SecretKey,
    usage: &str,
    nonce: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Option<Vec<u8>> {
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    let raw = Uint8Array::from(key.expose_bytes().as_slice());
    let usages = Array::of1(&JsValue::from_str(usage));
    let imported = subtle
        .import_key_with_str("raw", &raw, "AES-GCM", false, &usages)
        .ok()?;
    let imported: web_sys::CryptoKey = JsFuture::from(imported).await.ok()?.dyn_into().ok()?;
    let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce));
    params.set_additional_data(&Uint8Array::from(aad));
    // Passed as a view of the wasm memory, which WebCrypto copies at once: no copy of
    // every piece left for the page's garbage collector.
    let done = match usage {
        "encrypt" => subtle.encrypt_with_object_and_u8_array(&params, &imported, data),
        _ => subtle.decrypt_with_object_and_u8_array(&params, &imported, data),
    }
    .ok()?;
    let out: ArrayBuffer = JsFuture::from(done).await.ok()?.dyn_into().ok()?;
    Some(Uint8Array::new(&out).to_vec())
}
