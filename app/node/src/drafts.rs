//! What the user is writing in each chat, kept sealed on the device so that a page the
//! phone closed in the background opens with it again. Saved once typing pauses (a
//! write per pause, not per key), at once when the page goes to the background or is
//! handed to another tab, and never before the stored drafts are read (it would
//! replace them).

use std::collections::BTreeMap;
use std::time::Duration;

use peerchat_chat::state::{Action, Screen};

use crate::{Load, Node, Now, StoreOp};

/// How long after the last change a draft is saved.
pub const DRAFT_SAVE_AFTER: Duration = Duration::from_secs(1);

/// Each chat's unsent text, and when it is to be saved.
#[derive(Default)]
pub(crate) struct Drafts {
    texts: BTreeMap<Screen, String>,
    /// The stored drafts have been read (or could not be).
    read: bool,
    /// Changed since the last save: saved at this time.
    save_at: Option<Duration>,
    /// Changed before the stored drafts were read: saved once they are.
    unsaved: bool,
}

impl Drafts {
    /// When the drafts are to be saved.
    pub(crate) fn poll_timeout(&self) -> Option<Duration> {
        self.save_at
    }
}

impl Node {
    /// The text being written in `chat` is now `text` (empty: none, as once it is sent).
    pub fn set_draft(&mut self, chat: Screen, text: &str, now: Now) {
        self.now = now;
        let drafts = &mut self.drafts;
        let changed = if text.is_empty() {
            drafts.texts.remove(&chat).is_some()
        } else if drafts.texts.get(&chat).map(String::as_str) == Some(text) {
            false
        } else {
            drafts.texts.insert(chat, text.to_owned());
            true
        };
        if !changed {
            return;
        }
        if drafts.read {
            drafts.save_at.get_or_insert(now.mono + DRAFT_SAVE_AFTER);
        } else {
            drafts.unsaved = true;
        }
        self.drain();
    }

    /// Forgets the draft of a chat that is gone (a room left, a peer blocked): not kept
    /// on the device a moment longer than the chat.
    pub(crate) fn drop_draft(&mut self, chat: &Screen) {
        if self.drafts.texts.remove(chat).is_none() {
            return;
        }
        if self.drafts.read {
            self.save_drafts();
        } else {
            self.drafts.unsaved = true;
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
        let list = self
            .drafts
            .texts
            .iter()
            .map(|(chat, text)| (chat.clone(), text.clone()))
            .collect();
        self.store(StoreOp::PutDrafts(list));
    }

    /// Asks for the stored drafts (after the conversations: what shows first comes first).
    pub(crate) fn read_drafts(&mut self) {
        self.load(Load::Drafts);
    }

    /// The stored drafts are read (`None`: they could not be): shown for every chat not
    /// written in since the app opened.
    pub(crate) fn drafts_read(&mut self, stored: Option<Vec<(Screen, String)>>) {
        let drafts = &mut self.drafts;
        drafts.read = true;
        let Some(stored) = stored else {
            // Not saved over now: the stored ones stay until the user writes again.
            drafts.unsaved = false;
            return;
        };
        for (chat, text) in stored {
            if !text.is_empty() {
                drafts.texts.entry(chat).or_insert(text);
            }
        }
        let shown = drafts
            .texts
            .iter()
            .map(|(chat, text)| (chat.clone(), text.clone()))
            .collect();
        if std::mem::take(&mut drafts.unsaved) {
            self.save_drafts();
        }
        self.ui(Action::Drafts(shown));
    }
}
