//! What the composer says about the text being written, before it is sent: nothing to
//! send yet, how many characters are left near the limit, how far over it the text is,
//! and why a paste that would pass the limit is refused (rather than cut silently).

use crate::protocol::MAX_TEXT_CHARS;

/// From this many characters on, the composer counts down to the limit.
pub const COUNT_FROM: usize = MAX_TEXT_CHARS - 200;

/// The text in the composer, as the composer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Draft {
    /// Nothing to send (empty, or only spaces): Send stays disabled.
    Empty,
    /// Can be sent; `left` characters to go before the limit, shown once near it.
    Fits {
        /// Characters still allowed.
        left: usize,
    },
    /// Longer than a message can be, by `over` characters: Send stays disabled.
    TooLong {
        /// Characters too many.
        over: usize,
    },
}

impl Draft {
    /// The draft of `text`.
    pub fn of(text: &str) -> Self {
        let len = text.chars().count();
        if text.trim().is_empty() {
            Draft::Empty
        } else if len > MAX_TEXT_CHARS {
            Draft::TooLong {
                over: len - MAX_TEXT_CHARS,
            }
        } else {
            Draft::Fits {
                left: MAX_TEXT_CHARS - len,
            }
        }
    }

    /// Whether Send can be pressed.
    pub fn sendable(&self) -> bool {
        matches!(self, Draft::Fits { .. })
    }

    /// The counter beside the box, once the text is near or over the limit.
    pub fn counter(&self) -> Option<String> {
        match self {
            Draft::Fits { left } if MAX_TEXT_CHARS - left >= COUNT_FROM => {
                Some(format!("{left} characters left"))
            }
            Draft::TooLong { over } => Some(format!(
                "{over} characters too many: a message holds up to {MAX_TEXT_CHARS}"
            )),
            _ => None,
        }
    }
}

/// Why a paste is refused: the box would then hold `result`, longer than a message can
/// be. `None` when it fits.
pub fn paste_refusal(result: &str) -> Option<String> {
    let len = result.chars().count();
    (len > MAX_TEXT_CHARS).then(|| {
        format!(
            "Not pasted: the message would be {len} characters long, and a message holds up to {MAX_TEXT_CHARS}. Paste a shorter part, or send it in pieces."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_blank_cannot_be_sent() {
        assert_eq!(Draft::of(""), Draft::Empty);
        assert_eq!(Draft::of("  \n"), Draft::Empty);
        assert!(!Draft::of(" ").sendable());
        assert!(Draft::of("hi").sendable());
        assert_eq!(Draft::of("hi").counter(), None);
    }

    #[test]
    fn the_counter_shows_near_the_limit_and_past_it() {
        assert_eq!(Draft::of(&"a".repeat(COUNT_FROM - 1)).counter(), None);
        assert_eq!(
            Draft::of(&"😀".repeat(MAX_TEXT_CHARS - 5))
                .counter()
                .unwrap(),
            "5 characters left"
        );
        let over = Draft::of(&"a".repeat(MAX_TEXT_CHARS + 3));
        assert_eq!(over, Draft::TooLong { over: 3 });
        assert!(!over.sendable());
        assert!(over.counter().unwrap().starts_with("3 characters too many"));
    }

    #[test]
    fn a_paste_past_the_limit_is_refused_with_the_numbers() {
        assert_eq!(paste_refusal(&"a".repeat(MAX_TEXT_CHARS)), None);
        let why = paste_refusal(&"a".repeat(2345)).unwrap();
        assert!(
            why.contains("2345 characters") && why.contains("2000"),
            "{why}"
        );
    }
}
