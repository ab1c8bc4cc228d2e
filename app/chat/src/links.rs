//! Links in a message's text: what starts with `http://` or `https://` is shown as a link
//! (and nothing else is: no `javascript:`, `data:` or other scheme can become one); the
//! rest stays plain text.

/// A stretch of a message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Plain text.
    Text(&'a str),
    /// An `http` or `https` address, to show as a link to itself.
    Link(&'a str),
}

/// Punctuation that ends a sentence rather than an address ("see https://a.org.").
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', '\'', '"', ')', ']', '}', '>'];

/// The text cut into plain stretches and links, in order; joined again they are the text.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while let Some(found) = next_link(text, at) {
        let (start, end) = found;
        if start > plain_from {
            out.push(Segment::Text(&text[plain_from..start]));
        }
        out.push(Segment::Link(&text[start..end]));
        plain_from = end;
        at = end;
    }
    if plain_from < text.len() {
        out.push(Segment::Text(&text[plain_from..]));
    }
    out
}

/// The byte range of the next link at or after `from`.
fn next_link(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut search = from;
    loop {
        let rest = text.get(search..)?;
        let lower = rest.to_ascii_lowercase();
        let offset = ["https://", "http://"]
            .iter()
            .filter_map(|scheme| lower.find(scheme).map(|i| (i, scheme.len())))
            .min_by_key(|(i, _)| *i)?;
        let start = search + offset.0;
        // An address starts a word: "xhttp://" is not one.
        let starts_word = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        // Only printable ASCII belongs to it: spaces, control and direction marks end it.
        let len = text[start..]
            .find(|c: char| !c.is_ascii_graphic())
            .unwrap_or(text.len() - start);
        let mut end = start + len;
        while end > start && text[..end].ends_with(TRAILING) && !closes_own(&text[start..end]) {
            end -= 1;
        }
        if starts_word && end > start + offset.1 {
            return Some((start, end));
        }
        search = start + offset.1;
    }
}

/// Whether the address ends in a bracket it opened itself (as in a wiki link).
fn closes_own(link: &str) -> bool {
    link.ends_with(')') && link.matches('(').count() >= link.matches(')').count()
}

#[cfg(test)]
mod tests {
    use super::Segment::{Link, Text};
    use super::*;

    #[test]
    fn http_and_https_become_links_and_the_rest_stays_text() {
        assert_eq!(
            segments("see https://example.org/a?b=1. or HTTP://x.io"),
            [
                Text("see "),
                Link("https://example.org/a?b=1"),
                Text(". or "),
                Link("HTTP://x.io")
            ]
        );
        assert_eq!(segments("no links here"), [Text("no links here")]);
        assert_eq!(segments(""), []);
    }

    #[test]
    fn other_schemes_and_bare_schemes_are_never_links() {
        for text in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "https://",
            "xhttps://a.org",
            "JaVaScRiPt://alert(1)",
        ] {
            assert!(
                segments(text).iter().all(|s| matches!(s, Text(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn an_address_ends_at_spaces_marks_and_sentence_punctuation() {
        assert_eq!(
            segments("(https://en.wikipedia.org/wiki/Rust_(language))"),
            [
                Text("("),
                Link("https://en.wikipedia.org/wiki/Rust_(language)"),
                Text(")")
            ]
        );
        assert_eq!(
            segments("https://a.org\u{202E}txt"),
            [Link("https://a.org"), Text("\u{202E}txt")]
        );
        let joined: String = segments("a https://b.c, d")
            .iter()
            .map(|s| match s {
                Text(t) | Link(t) => *t,
            })
            .collect();
        assert_eq!(joined, "a https://b.c, d");
    }
}
