//! A message's text as shown: plain text, with its `http`/`https` addresses as links that
//! open apart from the app and tell the site nothing about it.

use peerchat_chat::links::{segments, Segment};
use yew::prelude::*;

/// The text, its links made safe links (the core decides what is one).
pub fn message_text(text: &str) -> Html {
    segments(text)
        .into_iter()
        .map(|s| match s {
            Segment::Text(t) => html! { { t.to_owned() } },
            Segment::Link(url) => html! {
                <a href={url.to_owned()} rel="noopener noreferrer" target="_blank">{ url.to_owned() }</a>
            },
        })
        .collect()
}
