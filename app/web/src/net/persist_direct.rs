//! One-to-one conversations in the vault: the list of peers (with their names) and each
//! conversation's messages, kept like a room's under a name of its own.

use std::cell::RefCell;
use std::rc::Weak;

use peerchat_chat::protocol::TextMessage;
use peerchat_chat::state::{Action, Author, Line};
use peerchat_peerjs::PeerId;
use peerchat_vault::{Page, StoredMessage, Table};

use super::node::Inner;
use super::PAGE;
use crate::storage::{sentence, Vault};

/// The Meta record listing conversations.
const LIST: &str = "conversations";

/// The history name of the conversation with `peer` (hashed before it is stored).
pub(crate) fn history_name(peer: &PeerId) -> String {
    format!("direct/{peer}")
}

/// A page of a conversation's stored messages, for the screen; `me` is our own peer id.
pub(crate) fn conversation_page(
    peer: PeerId,
    name: Option<String>,
    page: Page,
    me: &str,
) -> Action {
    let line = |m: StoredMessage| Line {
        author: if m.author == me {
            Author::Me
        } else {
            Author::Peer
        },
        id: m.id,
        name: m.name,
        text: m.text,
        ts: m.ts,
    };
    Action::ConversationRestored {
        peer,
        name,
        lines: page.messages.into_iter().map(line).collect(),
        older: page.older,
    }
}

impl Inner {
    /// Learns (or updates) a conversation partner's name, and saves the list.
    pub(super) fn remember_peer(&mut self, peer: &PeerId, name: Option<String>) {
        let known = self.peers.get(peer).cloned();
        let name = name.or(known.clone().flatten());
        if known.as_ref() == Some(&name) {
            return;
        }
        self.peers.insert(peer.clone(), name);
        let list: Vec<(PeerId, Option<String>)> = self
            .peers
            .iter()
            .map(|(p, n)| (p.clone(), n.clone()))
            .collect();
        self.in_background(async move |v| v.put(Table::Meta, LIST, &list).await);
    }

    /// Stores a message of the conversation with `peer`.
    pub(super) fn keep_direct(&mut self, peer: &PeerId, m: &TextMessage, mine: bool) {
        self.remember_peer(peer, None);
        let (author, name) = if mine {
            (self.main.session.id().to_string(), self.name.clone())
        } else {
            let name = self.peers.get(peer).cloned().flatten();
            (peer.to_string(), name.unwrap_or_else(|| peer.to_string()))
        };
        let stored = StoredMessage {
            id: m.id.clone(),
            author,
            name,
            seq: m.seq,
            ts: m.ts,
            text: m.text.clone(),
            whisper_to: None,
        };
        self.store_message(history_name(peer), stored);
    }
}

/// Brings back the conversations kept in storage, each with its newest lines.
pub(super) async fn restore_conversations(weak: &Weak<RefCell<Inner>>, vault: &Vault) {
    let Some((dispatch, me)) = weak.upgrade().map(|n| {
        let n = n.borrow();
        (n.dispatch.clone(), n.main.session.id().to_string())
    }) else {
        return;
    };
    let list = match vault
        .get::<Vec<(PeerId, Option<String>)>>(Table::Meta, LIST)
        .await
    {
        Ok(list) => list.unwrap_or_default(),
        Err(e) => return dispatch.emit(Action::StorageFailed(sentence(&e))),
    };
    if let Some(n) = weak.upgrade() {
        n.borrow_mut().peers.extend(list.iter().cloned());
    }
    for (peer, name) in list {
        let page = match vault.history().newest(&history_name(&peer), PAGE).await {
            Ok(page) => page,
            Err(e) => return dispatch.emit(Action::StorageFailed(sentence(&e))),
        };
        dispatch.emit(conversation_page(peer, name, page, &me));
    }
}
