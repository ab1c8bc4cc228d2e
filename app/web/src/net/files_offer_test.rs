//! A file's offer made in headless Chromium, read a slice at a time with the next slice
//! read while one is hashed: the same offer as hashing the whole file at once in Rust,
//! for a file of several slices whose last is short.

use js_sys::{Array, Uint8Array};
use peerchat_files::FileHasher;
use wasm_bindgen_test::*;
use web_sys::Blob;

use super::{offer_for, HASH_SLICE};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_file_of_several_slices_is_offered_as_when_hashed_whole() {
    // Two whole slices and a short one; no two pieces alike.
    let size = 2 * HASH_SLICE as usize + (1536 << 10);
    let bytes: Vec<u8> = (0..size).map(|i| (i * 7 + i / 4099) as u8).collect();
    let blob =
        Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(&bytes[..]))).unwrap();

    let offered = offer_for(&blob, "slices.bin", "application/octet-stream")
        .await
        .unwrap();

    let mut whole = FileHasher::new(size as u64).unwrap();
    whole.update(&bytes);
    let expected = whole
        .finish("slices.bin", "application/octet-stream")
        .unwrap();
    assert_eq!(offered, expected);
    assert!(offered.piece_count() > 1);
}
