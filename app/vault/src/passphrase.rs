//! The passphrase as typed, on its way from the form to the key derivation: its bytes
//! are zeroed when it is dropped, and so are every clone's. A `String` left its
//! bytes in the freed memory of the page's wasm heap, which never shrinks and is only
//! overwritten when the allocator hands that memory out again: readable there long after
//! the vault was unlocked. (The strings the browser keeps, such as the input's value,
//! cannot be wiped from Rust; the form empties its box as it takes the text.)

use std::fmt;

use zeroize::Zeroizing;

/// A passphrase, zeroed when dropped; never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Takes `typed` over (makes no copy; whatever copies were made before it are not
    /// this type's to wipe).
    pub fn new(typed: String) -> Self {
        Self(Zeroizing::new(typed))
    }

    /// The text, to derive a key from or to check.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Passphrase {
    fn from(typed: String) -> Self {
        Self::new(typed)
    }
}

impl From<&str> for Passphrase {
    fn from(typed: &str) -> Self {
        Self::new(typed.to_owned())
    }
}

impl zeroize::ZeroizeOnDrop for Passphrase {}

/// Its length only.
impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Passphrase({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What it holds is zeroed when dropped: held as a plain `String`, this would not
    /// compile. (The bytes themselves are read back after a drop in the web crate's
    /// wasm test, where the heap can be read without `unsafe`.)
    #[test]
    fn holds_its_text_zeroed_on_drop() {
        fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>(_: &T) {}
        zeroed_on_drop(&Passphrase::from("x").0);
    }

    #[test]
    fn debug_does_not_show_it() {
        let p = Passphrase::from("correct horse battery staple");
        let shown = format!("{p:?}");
        assert!(!shown.contains("horse"), "{shown}");
        assert_eq!(shown, "Passphrase(28 bytes)");
    }

    #[test]
    fn keeps_the_text() {
        let p = Passphrase::new("naïve passphrase".to_owned());
        assert_eq!(p.as_str(), "naïve passphrase");
        assert_eq!(p.clone(), p);
    }
}
