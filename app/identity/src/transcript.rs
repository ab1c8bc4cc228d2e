//! The exact bytes a signature covers: a domain (what is being signed) and then each
//! field with its length in front, so that no two different lists of fields can make
//! the same bytes ("ab" + "c" never equals "a" + "bc").

/// Bytes to sign or verify; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript(Vec<u8>);

impl Transcript {
    /// Starts a transcript for one purpose (`"peerchat/room-text/v1"`, say): a signature
    /// made for one purpose never verifies for another.
    pub fn new(domain: &str) -> Self {
        Self(Vec::new()).field(domain)
    }

    /// Adds a byte string field.
    pub fn field(mut self, bytes: impl AsRef<[u8]>) -> Self {
        let bytes = bytes.as_ref();
        // Fields are bounded by the frames they come from (16 KB), far below 4 GiB.
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(bytes);
        self
    }

    /// Adds a number field.
    pub fn number(self, n: u64) -> Self {
        self.field(n.to_be_bytes())
    }

    /// Adds an optional field: absent and empty differ.
    pub fn optional(self, bytes: Option<impl AsRef<[u8]>>) -> Self {
        match bytes {
            Some(b) => self.number(1).field(b),
            None => self.number(0),
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_cannot_run_into_each_other() {
        let a = Transcript::new("d").field("ab").field("c");
        let b = Transcript::new("d").field("a").field("bc");
        assert_ne!(a, b);
        let none = Transcript::new("d").optional(None::<&str>);
        let empty = Transcript::new("d").optional(Some(""));
        assert_ne!(none, empty);
        assert_ne!(Transcript::new("x"), Transcript::new("y"));
    }
}
