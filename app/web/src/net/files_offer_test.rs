//! A file's offer made in headless Chromium, read a slice at a time with the next slice
//! read while one is hashed: the same offer as hashing the whole file at once in Rust,
//! for files of several slices (the last short or whole) and of less than one.

use js_sys::{Array, Uint8Array};
use peerchat_files::offer::piece_size;
use peerchat_files::FileHasher;
use wasm_bindgen_test::*;
use web_sys::Blob;

use super::{offer_for, HASH_SLICE};

wasm_bindgen_test_configure!(run_in_browser);

/// `offer_for` of `size` bytes, no two pieces alike, against the offer hashed whole.
async fn offered_as_when_hashed_whole(size: usize) {
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
    assert_eq!(offered, expected, "{size} bytes");
}

#[wasm_bindgen_test]
async fn a_file_of_several_slices_is_offered_as_when_hashed_whole() {
    let slice = HASH_SLICE as usize;
    // Pieces smaller than a slice, so a slice holds several and the next is read ahead.
    assert!((piece_size(3 * slice as u64) as usize) < slice);
    // Two whole slices and a short one; exactly two; less than one.
    for size in [2 * slice + (1536 << 10), 2 * slice, 1536 << 10] {
        offered_as_when_hashed_whole(size).await;
    }
}
