//! What the user is writing in each chat, kept sealed on the device so that a page the
//! phone closed in the background opens with it again. While typing goes on, the
//! drafts are saved at most once a second ([`DRAFT_SAVE_AFTER`] after the first change
//! not saved); a draft that is gone (sent, or its chat left or blocked) leaves the
//! device at once; a page going to the background or to another tab saves at once; and
//! nothing is saved before the stored drafts are read (it would replace them), while
//! what the user did meanwhile wins over what was stored.

use std::time::Duration;

use peerchat_chat::protocol::MAX_TEXT_CHARS;
use peerchat_chat::state::{Action, Screen};
use peerchat_ids::{VecMap, VecSet};

use crate::{Load, Node, Now, StoreOp};

/// At most this long after the first change not saved, the drafts are saved.
pub const DRAFT_SAVE_AFTER: Duration = Duration::from_secs(1);

/// Characters of a draft kept on the device: twice what a message may hold (the box
/// says how far over the limit a text is; beyond that nothing of it could be sent).
pub const MAX_DRAFT_CHARS: usize = 2 * MAX_TEXT_CHARS;

/// Each chat's unsent text, and when it is to be saved.
#[derive(Default)]
pub(crate) struct Drafts {
    texts: VecMap<Screen, String>,
    /// What the device holds (as last saved or read).
    on_disk: VecMap<Screen, String>,
    /// The stored drafts have been read (or could not be).
    read: bool,
    /// Chats written in (or cleared, or gone) before the stored drafts were read:
    /// what was stored for them is out of date.
    touched: VecSet<Screen>,
    /// Changed since the last save: saved at this time.
    save_at: Option<Duration>,
}

impl Drafts {
    /// When the drafts are to be saved.
    pub(crate) fn poll_timeout(&self) -> Option<Duration> {
        self.save_at
    }

    fn list(&self) -> Vec<(Screen, String)> {
        self.texts
            .iter()
            .map(|(chat, text)| (chat.clone(), text.clone()))
            .collect()
    }
}

/// `text`, cut to [`MAX_DRAFT_CHARS`].
fn bounded(text: &str) -> &str {
    match text.char_indices().nth(MAX_DRAFT_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

impl Node {
    /// The text being written in `chat` is now `text` (empty: none, as once it is sent).
    pub fn set_draft(&mut self, chat: Screen, text: &str, now: Now) {
        self.now = now;
        let text = bounded(text);
        let texts = &mut self.drafts.texts;
        // Before the stored drafts are read, even an empty box the user cleared (or
        // sent) says the stored one is out of date.
        if self.drafts.read && texts.get(&chat).map_or("", String::as_str) == text {
            return;
        }
        if text.is_empty() {
            texts.remove(&chat);
        } else {
            texts.insert(chat.clone(), text.to_owned());
        }
        self.drafts_changed(chat);
        self.drain();
    }

    /// Forgets the draft of a chat that is gone (a room left, a peer blocked): not kept
    /// on the device a moment longer than the chat.
    pub(crate) fn drop_draft(&mut self, chat: &Screen) {
        self.drafts.texts.remove(chat);
        self.drafts_changed(chat.clone());
    }

    /// Saves now, later, or not at all, as `chat`'s draft changed.
    fn drafts_changed(&mut self, chat: Screen) {
        let drafts = &mut self.drafts;
        if !drafts.read {
            drafts.touched.insert(chat);
            return;
        }
        if drafts.texts == drafts.on_disk {
            // Typed and sent within the second: nothing to write (a burst of messages
            // writes no drafts).
            drafts.save_at = None;
        } else if !drafts.texts.contains_key(&chat) && drafts.on_disk.contains_key(&chat) {
            // Sent or gone: a page killed right after must not bring the text back.
            self.save_drafts();
        } else {
            drafts
                .save_at
                .get_or_insert(self.now.mono + DRAFT_SAVE_AFTER);
        }
    }

    /// Saves the drafts now if they wait to be (the page is going away).
    pub(crate) fn save_drafts_now(&mut self) {
        if self.drafts.save_at.is_some() {
            self.save_drafts();
        }
    }

    /// Saves the drafts when their time has come.
    pub(crate) fn drafts_due(&mut self, t: Duration) {
        if self.drafts.save_at.is_some_and(|at| at <= t) {
            self.save_drafts();
        }
    }

    fn save_drafts(&mut self) {
        self.drafts.save_at = None;
        self.drafts.on_disk = self.drafts.texts.clone();
        self.store(StoreOp::PutDrafts(self.drafts.list()));
    }

    /// Asks for the stored drafts (after the saved rooms: a room may be on screen).
    pub(crate) fn read_drafts(&mut self) {
        self.load(Load::Drafts);
    }

    /// The stored drafts are read (`None`: they could not be, and are saved over): each
    /// chat's box shows its own, unless the user wrote in it, cleared it, or left it
    /// since the app opened.
    pub(crate) fn drafts_read(&mut self, stored: Option<Vec<(Screen, String)>>) {
        let drafts = &mut self.drafts;
        drafts.read = true;
        let touched = std::mem::take(&mut drafts.touched);
        drafts.on_disk = stored.unwrap_or_default().into_iter().collect();
        for (chat, text) in &drafts.on_disk {
            if !touched.contains(chat) && !text.is_empty() {
                drafts.texts.insert(chat.clone(), bounded(text).to_owned());
            }
        }
        if drafts.texts != drafts.on_disk {
            self.save_drafts();
        }
        self.ui(Action::Drafts(self.drafts.list()));
    }
}
