//! What the key-derivation worker does with a request, apart from the worker's glue (see
//! `main.rs`): Argon2id in a wasm instance of its own, whose 7 MiB of blocks leave with the
//! worker. In the page, they stayed for as long as it was open (a page's wasm memory never
//! shrinks): a page set up and left idle held 6.8 MiB more (renderer PSS, 100.0 against
//! 93.2 MiB, median of 4).
//!
//! The page posts [`Request::to_message`]'s array once the worker says [`READY`]; the
//! worker posts back the 32 bytes of the key, or [`FAILED`]. The page derives the key
//! itself whenever the worker does not give it one (it could not start, or said
//! [`FAILED`]), with the same function: the key is the same either way. Old pages may meet
//! a newer worker (its files keep their names from build to build), so the message's form
//! stays as it is: `[passphrase, memory in KiB, passes, salt]`, a string, two numbers and
//! bytes. (Plain values, not JSON: with JSON's code the worker's module was 96 KB, now 33.)
#![forbid(unsafe_code)]

use js_sys::{Array, JsString, Uint8Array};
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::Passphrase;
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

/// The worker's first message: its handler is set, requests are heard (one posted before
/// would be lost while its wasm loads).
pub const READY: &str = "ready";

/// The worker's answer to a request it could not serve (it did not read, or its
/// parameters were refused): the page then derives the key itself, and says why.
pub const FAILED: &str = "failed";

/// The passphrase in a JS string (a form's box, a message), read into its `Passphrase`
/// without a copy on the way. `JsValue::as_string` wrote the text into a buffer that it
/// then grew and shrank for any character past ASCII, each time leaving the bytes so far
/// in freed memory, unzeroed; here a `String` is made large enough at once (three bytes
/// for each UTF-16 unit covers every character) and filled. A lone surrogate becomes
/// U+FFFD, as `as_string` gives it.
pub fn passphrase_of(js: &JsString) -> Passphrase {
    let units = js.length() as usize;
    let mut text = String::with_capacity(units.saturating_mul(3));
    for c in char::decode_utf16(js.iter()) {
        text.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    Passphrase::new(text)
}

/// What the page asks: the key for `passphrase` under Argon2id with these parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The passphrase typed (zeroed when the request is dropped).
    pub passphrase: Passphrase,
    /// Argon2id's memory, in KiB.
    pub memory_kib: u32,
    /// Argon2id's passes.
    pub passes: u32,
    /// The vault's salt.
    pub salt: Vec<u8>,
}

/// Never the passphrase.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("memory_kib", &self.memory_kib)
            .field("passes", &self.passes)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// The request for `params`; `None` for any derivation but Argon2id.
    pub fn for_params(passphrase: &Passphrase, params: &KdfParams) -> Option<Self> {
        let KdfParams::Argon2id {
            memory_kib,
            passes,
            salt,
        } = params
        else {
            return None;
        };
        Some(Self {
            passphrase: passphrase.clone(),
            memory_kib: *memory_kib,
            passes: *passes,
            salt: salt.clone(),
        })
    }

    /// The message the page posts.
    pub fn to_message(&self) -> Array {
        Array::of4(
            &JsValue::from_str(self.passphrase.as_str()),
            &JsValue::from(self.memory_kib),
            &JsValue::from(self.passes),
            &Uint8Array::from(self.salt.as_slice()),
        )
    }

    /// The request a message holds, `None` if it is not one.
    pub fn from_message(message: &JsValue) -> Option<Self> {
        let parts: Array = message.clone().dyn_into().ok()?;
        let number = |i| {
            let n = parts.get(i).as_f64()?;
            (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then_some(n as u32)
        };
        Some(Self {
            passphrase: passphrase_of(parts.get(0).dyn_ref::<JsString>()?),
            memory_kib: number(1)?,
            passes: number(2)?,
            salt: parts.get(3).dyn_into::<Uint8Array>().ok()?.to_vec(),
        })
    }

    /// The key it asks for, wiped when dropped, or `None` (see [`FAILED`]).
    pub fn answer(self) -> Option<Zeroizing<[u8; 32]>> {
        let params = KdfParams::Argon2id {
            memory_kib: self.memory_kib,
            passes: self.passes,
            salt: self.salt,
        };
        let key = kdf::derive(self.passphrase.as_str(), &params).ok()?;
        Some(Zeroizing::new(*key.expose_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(memory_kib: u32) -> Request {
        Request {
            passphrase: Passphrase::from("correct horse battery"),
            memory_kib,
            passes: 1,
            salt: vec![7; 16],
        }
    }

    #[test]
    fn the_worker_gives_the_key_the_page_would_derive() {
        let params = KdfParams::Argon2id {
            memory_kib: 64,
            passes: 1,
            salt: vec![7; 16],
        };
        let asked = Request::for_params(&"correct horse battery".into(), &params).unwrap();
        assert_eq!(asked, request(64));
        let here = kdf::derive("correct horse battery", &params).unwrap();
        assert_eq!(asked.answer().as_deref(), Some(here.expose_bytes()));
    }

    #[test]
    fn only_argon2id_goes_to_the_worker() {
        let params = KdfParams::with_iterations([7; 16], 10);
        assert_eq!(Request::for_params(&"x".into(), &params), None);
    }

    #[test]
    fn parameters_a_damaged_header_could_hold_get_no_key() {
        // Refused before any memory is taken.
        assert!(request(u32::MAX).answer().is_none());
    }
}
