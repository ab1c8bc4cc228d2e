//! What another app shared with PeerChat through the phone's share sheet (the manifest's
//! `share_target`): a title, a text, a link and files, waiting until the user picks the
//! chat they go to. The service worker keeps them (so sharing works offline and survives
//! the app being closed before the user chose); this module decides what they become:
//! one text made of title, text and link, cut into messages of at most
//! [`MAX_TEXT_CHARS`] rather than refused, and the files, within bounds.

use crate::details::bytes;
use crate::protocol::MAX_TEXT_CHARS;

/// Files one share may hold; the share sheet lets a user pick a whole album.
pub const MAX_SHARED_FILES: usize = 20;

/// Messages a shared text may become (a longer text is better sent as a file).
pub const MAX_SHARED_MESSAGES: usize = 10;

/// A file another app shared: described here, its bytes kept by the service worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    /// Its name, as the sharing app gave it.
    pub name: String,
    /// Its media type (empty when the sharing app gave none).
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What waits to be sent to a chat the user picks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shared {
    /// The text to send, if any: title, text and link, each on its own line.
    pub text: Option<String>,
    /// The files to send, at most [`MAX_SHARED_FILES`].
    pub files: Vec<SharedFile>,
    /// Files left out because the share held more than [`MAX_SHARED_FILES`].
    pub files_left_out: usize,
}

impl Shared {
    /// A share from the share sheet's fields. Empty fields are left out, and a link the
    /// text already holds (many apps put it in both) is not repeated.
    pub fn new(title: &str, text: &str, url: &str, mut files: Vec<SharedFile>) -> Self {
        // Line ends as one character: a `\r` would be refused as hiding text.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let (title, text, url) = (title.trim(), text.trim(), url.trim());
        let mut lines: Vec<&str> = Vec::new();
        if !title.is_empty() && !text.contains(title) {
            lines.push(title);
        }
        if !text.is_empty() {
            lines.push(text);
        }
        if !url.is_empty() && !text.contains(url) {
            lines.push(url);
        }
        let files_left_out = files.len().saturating_sub(MAX_SHARED_FILES);
        files.truncate(MAX_SHARED_FILES);
        Self {
            text: (!lines.is_empty()).then(|| lines.join("\n")),
            files,
            files_left_out,
        }
    }

    /// Whether nothing was shared (a share sheet can send an empty form).
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.files.is_empty()
    }

    /// What waits, in a few words: "photo.jpg (2.1 MB) and a text".
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = match self.files.as_slice() {
            [] => Vec::new(),
            [one] => vec![format!("{} ({})", one.name, bytes(one.size))],
            many => {
                let total = many.iter().map(|f| f.size).fold(0_u64, u64::saturating_add);
                vec![format!("{} files ({})", many.len(), bytes(total))]
            }
        };
        if self.text.is_some() {
            parts.push("a text".to_owned());
        }
        parts.join(" and ")
    }

    /// The text as the messages it becomes: cut at [`MAX_TEXT_CHARS`] characters, at a
    /// line break or space where one is near, so nothing shared is lost. An error says
    /// what to do when it would take more than [`MAX_SHARED_MESSAGES`].
    pub fn messages(&self) -> Result<Vec<String>, String> {
        let Some(text) = &self.text else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut rest: &str = text;
        while !rest.is_empty() {
            if out.len() == MAX_SHARED_MESSAGES {
                return Err(format!(
                    "The shared text is too long to send as messages (more than {MAX_SHARED_MESSAGES} of {MAX_TEXT_CHARS} characters). Share it as a file instead."
                ));
            }
            let (piece, after) = cut(rest);
            out.push(piece.trim_end().to_owned());
            rest = after.trim_start();
        }
        Ok(out)
    }
}

/// The first message's worth of `text` and what is left after it.
fn cut(text: &str) -> (&str, &str) {
    let Some((limit, _)) = text.char_indices().nth(MAX_TEXT_CHARS) else {
        return (text, "");
    };
    // A break in the last tenth of the piece keeps words and lines whole.
    let floor = text[..limit]
        .char_indices()
        .nth(MAX_TEXT_CHARS * 9 / 10)
        .map_or(0, |(i, _)| i);
    let at = text[..limit]
        .rfind('\n')
        .filter(|&i| i >= floor)
        .or_else(|| text[..limit].rfind(' ').filter(|&i| i >= floor))
        .unwrap_or(limit);
    text.split_at(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64) -> SharedFile {
        SharedFile {
            name: name.to_owned(),
            media_type: "image/jpeg".to_owned(),
            size,
        }
    }

    #[test]
    fn title_text_and_link_become_one_text_without_repeats() {
        let s = Shared::new(
            "Look",
            "Look at this https://x.test/a",
            "https://x.test/a",
            vec![],
        );
        assert_eq!(s.text.as_deref(), Some("Look at this https://x.test/a"));
        let s = Shared::new("", "one\r\ntwo\rthree", "", vec![]);
        assert_eq!(s.text.as_deref(), Some("one\ntwo\nthree"));
        let s = Shared::new("Trip", "", " https://x.test/b ", vec![]);
        assert_eq!(s.text.as_deref(), Some("Trip\nhttps://x.test/b"));
        assert!(Shared::new(" ", "", "", vec![]).is_empty());
    }

    #[test]
    fn the_summary_names_one_file_or_counts_many() {
        let one = Shared::new("", "hi", "", vec![file("photo.jpg", 2_100_000)]);
        assert_eq!(one.summary(), "photo.jpg (2.1 MB) and a text");
        let many = Shared::new(
            "",
            "",
            "",
            vec![file("a.jpg", 1_000_000), file("b.jpg", 1_000_000)],
        );
        assert_eq!(many.summary(), "2 files (2.0 MB)");
        assert_eq!(Shared::new("", "hi", "", vec![]).summary(), "a text");
    }

    #[test]
    fn a_share_keeps_at_most_its_bound_of_files_and_counts_the_rest() {
        let files = (0..25).map(|i| file(&format!("{i}.jpg"), 1)).collect();
        let s = Shared::new("", "", "", files);
        assert_eq!(s.files.len(), MAX_SHARED_FILES);
        assert_eq!(s.files_left_out, 5);
    }

    #[test]
    fn a_long_text_is_cut_into_messages_at_spaces_and_nothing_is_lost() {
        let word = "abcdefghi ";
        let text = word.repeat(MAX_TEXT_CHARS / word.len() * 2 + 3);
        let s = Shared::new("", &text, "", vec![]);
        let messages = s.messages().unwrap();
        assert_eq!(messages.len(), 3);
        for m in &messages {
            assert!(m.chars().count() <= MAX_TEXT_CHARS);
            assert!(
                m.ends_with("abcdefghi"),
                "cut inside a word: …{}",
                &m[m.len() - 12..]
            );
        }
        assert_eq!(messages.join(" "), text.trim());
    }

    #[test]
    fn a_text_without_spaces_is_cut_at_the_limit() {
        let text = "é".repeat(MAX_TEXT_CHARS + 5);
        let messages = Shared::new("", &text, "", vec![]).messages().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].chars().count(), MAX_TEXT_CHARS);
        assert_eq!(messages.concat(), text);
    }

    #[test]
    fn a_text_past_the_message_bound_is_refused_with_what_to_do() {
        let text = "x".repeat(MAX_TEXT_CHARS * MAX_SHARED_MESSAGES + 1);
        let err = Shared::new("", &text, "", vec![]).messages().unwrap_err();
        assert!(err.contains("Share it as a file"), "{err}");
        let fits = "x".repeat(MAX_TEXT_CHARS * MAX_SHARED_MESSAGES);
        assert_eq!(
            Shared::new("", &fits, "", vec![]).messages().unwrap().len(),
            MAX_SHARED_MESSAGES
        );
    }
}
