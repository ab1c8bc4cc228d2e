//! Room messages and whispers: sending, receiving, and filling members' gaps (backfill).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use peerchat_ids::MessageId;
use peerchat_peerjs::{ConnectionId, PeerId};

use super::{DropReason, Room, RoomEvent, RoomMessage};
use crate::protocol::check_text;
use crate::room::frames::{RoomFrame, RoomText, Whisper};
use crate::room::history::{batches, BACKFILL_BUDGET};
use crate::ChatError;

impl Room {
    /// Sends a message to every member online; returns it as shown locally.
    pub fn send_text(
        &mut self,
        text: &str,
        id: MessageId,
        ts: u64,
        now: Duration,
    ) -> Result<RoomMessage, ChatError> {
        check_text(text)?;
        self.my_seq = self.my_seq.checked_add(1).ok_or(ChatError::NumbersUsedUp)?;
        let message = RoomText {
            id: id.clone(),
            author: self.me.clone(),
            seq: self.my_seq,
            ts,
            text: text.to_owned(),
        };
        // Kept in the log, it is also our outbox: members who come later get it by backfill.
        self.log.insert(message.clone());
        let frame = RoomFrame::Text(message);
        // The message ends this bout of typing: the next keystroke announces a new one.
        self.typing_sent = None;
        let links = self.one_link_per_member();
        let members = links
            .iter()
            .filter_map(|l| self.links.get(l))
            .map(|l| l.peer.clone());
        self.await_receipts(&id, members.collect());
        for link in links {
            self.send(&link, &frame, now);
        }
        Ok(self.local_message(id, self.my_seq, text, ts, None))
    }

    /// Sends a private message to one member; its bytes go to nobody else.
    pub fn whisper(
        &mut self,
        to: &PeerId,
        text: &str,
        id: MessageId,
        ts: u64,
        now: Duration,
    ) -> Result<RoomMessage, ChatError> {
        check_text(text)?;
        let link = self
            .links
            .iter()
            .find(|(_, l)| l.admitted && &l.peer == to)
            .map(|(id, _)| id.clone())
            .ok_or(ChatError::NotOnline)?;
        let frame = RoomFrame::Whisper(Whisper {
            id: id.clone(),
            author: self.me.clone(),
            to: to.clone(),
            ts,
            text: text.to_owned(),
        });
        self.send(&link, &frame, now);
        self.await_receipts(&id, HashSet::from([to.clone()]));
        Ok(self.local_message(id, 0, text, ts, Some(to.clone())))
    }

    pub(super) fn local_message(
        &self,
        id: MessageId,
        seq: u64,
        text: &str,
        ts: u64,
        whisper_to: Option<PeerId>,
    ) -> RoomMessage {
        RoomMessage {
            id,
            seq,
            author: self.me.clone(),
            name: self.my_name.clone(),
            text: text.to_owned(),
            ts,
            whisper_to,
        }
    }

    pub(super) fn on_text(&mut self, sender: &PeerId, t: RoomText, now: Duration) {
        if &t.author != sender {
            return self.drop_frame(DropReason::Impersonation);
        }
        let id = t.id.clone();
        if self.record(t) {
            self.confirm(sender, vec![id], now);
        }
    }

    /// Messages relayed by a member: any author, as the room key vouches for membership.
    /// Authors we are linked to learn that we have their messages.
    pub(super) fn on_backfill(&mut self, messages: Vec<RoomText>, now: Duration) {
        let mut got: BTreeMap<PeerId, Vec<MessageId>> = BTreeMap::new();
        for t in messages.into_iter().take(1000) {
            let (author, id) = (t.author.clone(), t.id.clone());
            if self.record(t) {
                got.entry(author).or_default().push(id);
            }
        }
        for (author, ids) in got {
            self.confirm(&author, ids, now);
        }
    }

    /// Keeps and shows a message not seen before; false when it was not new or not valid.
    pub(super) fn record(&mut self, t: RoomText) -> bool {
        if t.seq == 0 || self.log.contains(&t.author, t.seq) {
            self.drop_frame(DropReason::Replay);
            return false;
        }
        if check_text(&t.text).is_err() {
            self.drop_frame(DropReason::OutOfBounds);
            return false;
        }
        if t.author == self.me {
            // Our own words coming back (we lost them): never reuse their numbers.
            self.my_seq = self.my_seq.max(t.seq);
        }
        // Whoever wrote has stopped typing (the UI clears them with the message).
        self.typing_until.remove(&t.author);
        let message = RoomMessage {
            name: self.name_of(&t.author),
            id: t.id.clone(),
            seq: t.seq,
            author: t.author.clone(),
            text: t.text.clone(),
            ts: t.ts,
            whisper_to: None,
        };
        self.log.insert(t);
        self.events.push_back(RoomEvent::Message(message));
        true
    }

    pub(super) fn send_backfill(
        &mut self,
        link: &ConnectionId,
        theirs: &[(PeerId, u64)],
        now: Duration,
    ) {
        if !self.links.get(link).is_some_and(|l| l.admitted) {
            return;
        }
        for messages in batches(self.log.missing_for(theirs), BACKFILL_BUDGET) {
            self.send(link, &RoomFrame::Backfill { messages }, now);
        }
    }

    pub(super) fn on_whisper(
        &mut self,
        link: &ConnectionId,
        sender: &PeerId,
        w: Whisper,
        now: Duration,
    ) {
        if &w.author != sender || w.to != self.me {
            return self.drop_frame(DropReason::Impersonation);
        }
        if check_text(&w.text).is_err() {
            return self.drop_frame(DropReason::OutOfBounds);
        }
        if !self.whispers_seen.insert(w.id.clone()) {
            return self.drop_frame(DropReason::Replay);
        }
        let ids = vec![w.id.clone()];
        self.send(link, &RoomFrame::Received { ids }, now);
        self.typing_until.remove(&w.author);
        self.events.push_back(RoomEvent::Message(RoomMessage {
            name: self.name_of(&w.author),
            id: w.id,
            seq: 0,
            author: w.author,
            text: w.text,
            ts: w.ts,
            whisper_to: Some(w.to),
        }));
    }

    pub(super) fn name_of(&self, peer: &PeerId) -> String {
        self.members
            .get(peer)
            .map_or_else(|| peer.to_string(), |m| m.name.clone())
    }
}
