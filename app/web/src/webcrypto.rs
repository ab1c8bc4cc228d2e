//! The passphrase's key derivation as fast as the browser allows. New vaults use Argon2id
//! (see [`kdf`]), which runs in Rust (about 25 ms in wasm; WebCrypto has no Argon2), in a
//! worker of its own where it can (see `kdf_worker`).
//! Vaults made before use PBKDF2, which runs in the browser's WebCrypto: the same
//! algorithm, parameters and bytes as [`kdf::derive`], so every such profile opens, at
//! native speed instead of pure Rust in wasm (600,000 rounds of HMAC-SHA-256 took 340–420 ms
//! there with SHA-2's rounds in a loop, see `.cargo/config.toml`, 260–350 ms unrolled; 220
//! ms in WebCrypto), until its first unlock re-wraps it under Argon2id.
//! Where WebCrypto is missing (a page served over plain http from a LAN address is not a
//! secure context, so it has no `crypto.subtle`), the Rust PBKDF2 runs instead.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use peerchat_vault::envelope;
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::{Passphrase, SecretKey, VaultError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, Pbkdf2Params};

/// The key-encryption key for `passphrase` under `params`.
pub async fn derive(passphrase: Passphrase, params: KdfParams) -> Result<SecretKey, VaultError> {
    if let Some(key) = subtle_derive(passphrase.as_str(), &params).await {
        return Ok(key);
    }
    if let Some(key) = crate::kdf_worker::derive(&passphrase, &params).await {
        return Ok(key);
    }
    kdf::derive(passphrase.as_str(), &params)
}

/// Zeroes `secret`, the page's copy of a passphrase or key that WebCrypto copied for
/// itself when asked (or the bits it derived): not left readable in the page's memory
/// until the garbage collector comes by, which may be long after the vault is locked.
fn wipe(secret: &Uint8Array) {
    secret.fill(0, 0, secret.length());
}

/// The key in `bytes` (a derivation's 32 bytes, from WebCrypto or the key worker), which
/// are then zeroed; `None` for any other length.
pub(crate) fn take_key(bytes: &Uint8Array) -> Option<SecretKey> {
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    let whole = bytes.length() == 32;
    if whole {
        bytes.copy_to(key.as_mut_slice());
    }
    wipe(bytes);
    whole.then(|| SecretKey::from_bytes(*key))
}

/// WebCrypto's PBKDF2-SHA-256 for a vault that uses it, or `None` where the browser
/// cannot run it (or the vault uses Argon2id).
pub async fn subtle_derive(passphrase: &str, params: &KdfParams) -> Option<SecretKey> {
    let KdfParams::Pbkdf2 { iterations, salt } = params else {
        return None;
    };
    let subtle = subtle()?;
    let raw = Uint8Array::from(passphrase.as_bytes());
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let base = subtle.import_key_with_str("raw", &raw, "PBKDF2", false, &usages);
    // importKey copied the bytes before it returned (the Web Crypto spec's first steps,
    // before its promise): ours are not needed again. The input's value (a JS string)
    // cannot be wiped; this copy can, and the text in Rust is a `Passphrase`'s, zeroed
    // once dropped.
    wipe(&raw);
    let base = base.ok()?;
    let base: web_sys::CryptoKey = JsFuture::from(base).await.ok()?.dyn_into().ok()?;
    let salt = Uint8Array::from(salt.as_slice());
    let algorithm = Pbkdf2Params::new("PBKDF2", &JsValue::from_str("SHA-256"), *iterations, &salt);
    let bits = subtle
        .derive_bits_with_object(&algorithm, &base, 256)
        .ok()?;
    let bits: ArrayBuffer = JsFuture::from(bits).await.ok()?.dyn_into().ok()?;
    take_key(&Uint8Array::new(&bits))
}

/// Pieces of `file` sealed for the vault, each as [`peerchat_vault::FilePieces::put`]
/// seals it (the same envelope, key and associated data) but with WebCrypto's AES-GCM,
/// in hardware (AES-GCM in wasm sealed about 30 MB/s, a ceiling on every download), all
/// started at once so the browser seals them side by side, off the page's thread.
pub async fn seal_pieces<S: peerchat_vault::Store>(
    pieces: &peerchat_vault::FilePieces<'_, S>,
    file: &str,
    plain: Vec<(u32, [u8; 12], Vec<u8>)>,
) -> Vec<(u32, Vec<u8>)> {
    let key = pieces.data_key();
    let subtle = subtle_key(key, "encrypt").await;
    let started: Vec<_> = plain
        .iter()
        .map(|(index, nonce, bytes)| {
            let aad = pieces.record_key(file, *index);
            let (subtle, imported) = subtle.as_ref()?;
            subtle_start(subtle, imported, "encrypt", nonce, aad.as_bytes(), bytes)
        })
        .collect();
    let mut sealed = Vec::with_capacity(plain.len());
    for ((index, nonce, bytes), promise) in plain.into_iter().zip(started) {
        let done = match promise {
            Some(p) => subtle_finish(p).await,
            None => None,
        };
        let envelope = match done {
            Some(ciphertext) => envelope::assemble(nonce, &ciphertext),
            None => {
                let aad = pieces.record_key(file, index);
                envelope::seal(key, nonce, aad.as_bytes(), &bytes)
            }
        };
        sealed.push((index, envelope));
    }
    sealed
}

/// The SHA-256 of `bytes` (in the browser's memory), in WebCrypto: native, and off the
/// page's thread; in Rust where the browser has no WebCrypto.
pub async fn sha256_js(bytes: &Uint8Array) -> [u8; 32] {
    let started = subtle().and_then(|s| s.digest_with_str_and_buffer_source("SHA-256", bytes).ok());
    match digest_of(started).await {
        Some(d) => d,
        None => peerchat_files::offer::piece_digest(&bytes.to_vec()),
    }
}

/// The SHA-256 of `bytes` (in the wasm memory) in WebCrypto, as [`sha256_js`]. WebCrypto
/// copies `bytes` before this returns, so they may change at once. `None` where WebCrypto
/// cannot (the caller hashes in Rust).
pub fn sha256(bytes: &[u8]) -> impl std::future::Future<Output = Option<[u8; 32]>> {
    digest_of(subtle().and_then(|s| s.digest_with_str_and_u8_array("SHA-256", bytes).ok()))
}

/// The browser's WebCrypto, or `None` outside a secure context (plain http from a LAN
/// address), where `crypto.subtle` is undefined.
pub fn subtle() -> Option<web_sys::SubtleCrypto> {
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    (!subtle.is_undefined()).then_some(subtle)
}

/// What a WebCrypto `digest` promise gives, as 32 bytes; `None` when there was no
/// promise (no WebCrypto) or it failed.
pub async fn digest_of(promise: Option<js_sys::Promise>) -> Option<[u8; 32]> {
    let out: ArrayBuffer = JsFuture::from(promise?).await.ok()?.dyn_into().ok()?;
    Uint8Array::new(&out).to_vec().try_into().ok()
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
    let (subtle, imported) = subtle_key(key, usage).await?;
    subtle_finish(subtle_start(&subtle, &imported, usage, nonce, aad, data)?).await
}

/// `key` imported into WebCrypto for `usage`, or `None` where the browser has none.
async fn subtle_key(
    key: &SecretKey,
    usage: &str,
) -> Option<(web_sys::SubtleCrypto, web_sys::CryptoKey)> {
    let subtle = subtle()?;
    let raw = Uint8Array::from(key.expose_bytes().as_slice());
    let usages = Array::of1(&JsValue::from_str(usage));
    let imported = subtle.import_key_with_str("raw", &raw, "AES-GCM", false, &usages);
    // Copied by importKey before it returned (see `subtle_derive`): the key is nowhere
    // else in the page's JS memory.
    wipe(&raw);
    let imported = imported.ok()?;
    let imported = JsFuture::from(imported).await.ok()?.dyn_into().ok()?;
    Some((subtle, imported))
}

/// Starts AES-GCM `usage` of `data` with a key from [`subtle_key`].
fn subtle_start(
    subtle: &web_sys::SubtleCrypto,
    key: &web_sys::CryptoKey,
    usage: &str,
    nonce: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Option<js_sys::Promise> {
    let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce));
    params.set_additional_data(&Uint8Array::from(aad));
    // Passed as a view of the wasm memory, which WebCrypto copies at once: no copy of
    // every piece left for the page's garbage collector.
    match usage {
        "encrypt" => subtle.encrypt_with_object_and_u8_array(&params, key, data),
        _ => subtle.decrypt_with_object_and_u8_array(&params, key, data),
    }
    .ok()
}

/// What a promise from [`subtle_start`] gave, or `None` where WebCrypto refused.
async fn subtle_finish(promise: js_sys::Promise) -> Option<Vec<u8>> {
    let out: ArrayBuffer = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    Some(Uint8Array::new(&out).to_vec())
}

#[cfg(all(test, target_arch = "wasm32"))]
#[path = "webcrypto_wipe_test.rs"]
mod wipe_test;
