//! The page's copies of a passphrase and of keys handed to WebCrypto are zeroed once
//! WebCrypto has its own, in headless Chromium: `importKey` is watched for what it was
//! given, which is read again after the call.

use js_sys::{Function, Reflect, Uint8Array};
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::SecretKey;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

use super::{subtle, subtle_derive, subtle_key};

wasm_bindgen_test_configure!(run_in_browser);

/// Runs `call` with `crypto.subtle.importKey` watched; the key data it was given, as
/// they are once `call` is done.
async fn imported_during(call: impl std::future::Future<Output = bool>) -> Vec<Vec<u8>> {
    let subtle = subtle().expect("WebCrypto in a test page");
    let name = JsValue::from_str("importKey");
    let watch = Function::new_with_args(
        "original",
        "globalThis.__imported = []; \
         return function (...args) { globalThis.__imported.push(args[1]); return original.apply(this, args); }",
    );
    let original = Reflect::get(&subtle, &name).unwrap();
    Reflect::set(
        &subtle,
        &name,
        &watch.call1(&JsValue::NULL, &original).unwrap(),
    )
    .unwrap();
    let worked = call.await;
    // The instance's own method goes: the prototype's is back.
    Reflect::delete_property(&subtle, &name).unwrap();
    assert!(worked, "WebCrypto did its part");
    let seen: js_sys::Array = Reflect::get(&js_sys::global(), &"__imported".into())
        .unwrap()
        .unchecked_into();
    seen.iter()
        .map(|v| v.unchecked_into::<Uint8Array>().to_vec())
        .collect()
}

#[wasm_bindgen_test]
async fn a_keys_copy_is_zeroed_once_imported() {
    let key = SecretKey::from_bytes([9; 32]);
    let seen = imported_during(async { subtle_key(&key, "encrypt").await.is_some() }).await;
    assert_eq!(seen, vec![vec![0u8; 32]], "one import, of 32 bytes, zeroed");
}

#[wasm_bindgen_test]
async fn a_passphrases_copy_is_zeroed_once_imported() {
    let params = KdfParams::Pbkdf2 {
        iterations: 1_000,
        salt: vec![1; 16],
    };
    let passphrase = "correct horse battery staple";
    let seen = imported_during(async { subtle_derive(passphrase, &params).await.is_some() }).await;
    assert_eq!(
        seen,
        vec![vec![0u8; passphrase.len()]],
        "one import, zeroed"
    );
}
