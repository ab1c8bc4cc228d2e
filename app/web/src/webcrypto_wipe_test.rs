//! The page's copies of a passphrase and of keys handed to WebCrypto are zeroed once
//! WebCrypto has its own, in headless Chromium: `importKey` is watched for what it was
//! given, as it was at the call and as it is afterwards. A dropped passphrase leaves
//! zeros in the wasm heap, read back through JavaScript, and reading one out of a JS
//! string leaves no copy there.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect, Uint8Array};
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::{Passphrase, SecretKey};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

use super::{subtle, subtle_derive, subtle_key, take_key};

wasm_bindgen_test_configure!(run_in_browser);

/// What `importKey` imports: format, key data, algorithm, extractable, usages.
type ImportKey = dyn FnMut(JsValue, JsValue, JsValue, JsValue, JsValue) -> JsValue;

/// Runs `call` with `crypto.subtle.importKey` watched: for each import, the key data as
/// they were handed over and as they are once `call` is done.
async fn imported_during(call: impl std::future::Future<Output = bool>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let subtle: JsValue = subtle().expect("WebCrypto in a test page").into();
    let name = JsValue::from_str("importKey");
    let real: Function = Reflect::get(&subtle, &name).unwrap().unchecked_into();
    let given = Rc::new(RefCell::new(Vec::new()));
    let (keep, this) = (given.clone(), subtle.clone());
    let watch = Closure::<ImportKey>::new(
        move |format, data: JsValue, algorithm, extractable, usages| {
            let bytes: Uint8Array = data.clone().unchecked_into();
            keep.borrow_mut().push((bytes.to_vec(), bytes));
            let args = Array::of5(&format, &data, &algorithm, &extractable, &usages);
            real.apply(&this, &args).unwrap()
        },
    );
    Reflect::set(&subtle, &name, watch.as_ref()).unwrap();
    let worked = call.await;
    // The prototype's own method again.
    Reflect::delete_property(subtle.unchecked_ref::<js_sys::Object>(), &name).unwrap();
    assert!(worked, "WebCrypto did its part");
    let seen = given.take();
    seen.into_iter()
        .map(|(at_call, data)| (at_call, data.to_vec()))
        .collect()
}

#[wasm_bindgen_test]
async fn a_keys_copy_is_zeroed_once_imported() {
    let key = SecretKey::from_bytes([9; 32]);
    let seen = imported_during(async { subtle_key(&key, "encrypt").await.is_some() }).await;
    assert_eq!(
        seen,
        vec![(vec![9; 32], vec![0; 32])],
        "one import: the key, then zeros"
    );
}

#[wasm_bindgen_test]
async fn a_passphrases_copy_is_zeroed_once_imported() {
    let params = KdfParams::Pbkdf2 {
        iterations: 1_000,
        salt: vec![1; 16],
    };
    let passphrase = "correct horse battery staple";
    let seen = imported_during(async { subtle_derive(passphrase, &params).await.is_some() }).await;
    let zeros = vec![0; passphrase.len()];
    assert_eq!(
        seen,
        vec![(passphrase.as_bytes().to_vec(), zeros)],
        "one import: the passphrase, then zeros"
    );
}

#[wasm_bindgen_test]
fn a_derived_key_is_taken_and_its_bytes_zeroed_whatever_their_length() {
    let bytes = Uint8Array::from(&[5u8; 32][..]);
    let key = take_key(&bytes).expect("32 bytes are a key");
    assert_eq!(key.expose_bytes(), &[5; 32]);
    assert_eq!(bytes.to_vec(), vec![0; 32]);
    let short = Uint8Array::from(&[5u8; 31][..]);
    assert!(take_key(&short).is_none(), "31 bytes are not a key");
    assert_eq!(short.to_vec(), vec![0; 31]);
}

/// Bytes `from..to` of the page's wasm heap (past its end: to the end), copied out in
/// JavaScript (no `unsafe`): neither the `Vec` they come back in (which the allocator may
/// place over those very bytes) nor anything written after can change what was read.
fn heap_copy(from: usize, to: usize) -> Uint8Array {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    Uint8Array::new(&memory.buffer()).slice(from as u32, to as u32)
}

#[wasm_bindgen_test]
fn a_passphrase_is_zeroed_in_the_heap_once_dropped() {
    let typed = "correct horse battery staple, and a few more words".repeat(2);
    // Past the words the allocator writes at the start of a block it frees.
    let tail = 16..typed.len();
    let plain = typed.clone();
    let (at, len) = (plain.as_ptr() as usize, plain.len());
    drop(plain);
    assert_eq!(
        heap_copy(at, at + len).to_vec()[tail.clone()],
        typed.as_bytes()[tail.clone()],
        "a String leaves its bytes in the heap once dropped (what this test reads)"
    );
    let passphrase = Passphrase::new(typed.clone());
    let (at, len) = (
        passphrase.as_str().as_ptr() as usize,
        passphrase.as_str().len(),
    );
    drop(passphrase);
    assert!(
        heap_copy(at, at + len).to_vec()[tail]
            .iter()
            .all(|b| *b == 0),
        "a Passphrase leaves zeros"
    );
}

#[wasm_bindgen_test]
fn a_passphrase_is_read_from_a_js_string_as_wasm_bindgen_reads_it() {
    // ASCII, accents, a character of two UTF-16 units, a lone surrogate.
    let texts = [
        JsValue::from_str("correct horse battery staple"),
        JsValue::from_str("naïve café, größer"),
        JsValue::from_str("cheval 🐴 correct"),
        js_sys::JsString::from_char_code(&[0x61, 0xD800, 0x62]).into(),
        JsValue::from_str(""),
    ];
    for js in texts {
        let read = peerchat_kdf_worker::passphrase_of(js.unchecked_ref());
        assert_eq!(Some(read.as_str().to_owned()), js.as_string());
    }
}

/// Where `needle` occurs in `haystack`.
fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Reads a passphrase of 48 ASCII letters and 8 accents out of a JS string with `read`,
/// drops it, and counts the copies of its letters left in the wasm heap. The allocator
/// first has free blocks of the size a reader asks for first, each hemmed in by a block
/// in use, and hands one out (it takes an exact fit first): a reader that then grows its
/// buffer must move it, and frees the block with the letters in it.
fn copies_left(shift: u16, read: impl FnOnce(&js_sys::JsString) -> Passphrase) -> usize {
    // Made in JavaScript, from UTF-16 units: the letters' bytes are nowhere in the heap
    // (each call its own, `shift` on: what a call before left is not counted).
    let units: Vec<u16> = (0..48_u16)
        .map(|i| u16::from(b'A') + (i * 7 + shift) % 26)
        .chain([0xE9; 8])
        .collect();
    let js = js_sys::JsString::from_char_code(&units);
    let mut hems = Vec::with_capacity(32);
    let mut free = Vec::with_capacity(32);
    for _ in 0..32 {
        free.push(vec![1_u8; units.len()]);
        hems.push(vec![2_u8; 8]);
    }
    drop(free);
    drop(read(&js));
    // Copied out before the letters are written here to be looked for.
    let snapshot = heap_copy(0, usize::MAX);
    drop(hems);
    // Past the words the allocator writes at the start of a block it frees.
    let letters: Vec<u8> = units[16..48].iter().map(|u| *u as u8).collect();
    occurrences(&snapshot.to_vec(), &letters)
}

#[wasm_bindgen_test]
fn reading_a_passphrase_out_of_its_box_leaves_no_copy() {
    assert!(
        copies_left(0, |js| Passphrase::new(
            JsValue::from(js).as_string().unwrap()
        )) > 0,
        "as_string leaves the ASCII part in freed memory (what this test looks for)"
    );
    assert_eq!(copies_left(1, peerchat_kdf_worker::passphrase_of), 0);
}
