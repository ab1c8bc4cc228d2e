//! Room messages and whispers: sending, receiving, and filling members' gaps (backfill).

use std::time::Duration;

use peerchat_ids::{MessageId, VecMap, VecSet};
use peerchat_peerjs::PeerId;

use super::resend::Again;
use super::{DropReason, Room, RoomEvent, RoomMessage, MAX_SEQ};
use crate::protocol::check_text;
use crate::room::frames::{RoomFrame, RoomText, Whisper, WhisperBody};
use crate::room::signing::{open_whisper, seal_whisper, sign_with_file, verify_text, TextHead};
use crate::ChatError;
use peerchat_files::FileOffer;

impl Room {
    /// Sends a message to every member online; returns it as shown locally.
    pub fn send_text(
        &mut self,
        text: &str,
        id: MessageId,
        ts: u64,
        now: Duration,
    ) -> Result<RoomMessage, ChatError> {
        self.send_with_file(text, None, id, ts, now)
    }

    /// Sends a message that offers `file` (checked) to every member online; returns it
    /// as shown locally. Members fetch its pieces with file frames
    /// ([`Room::send_file_frame`]).
    pub fn send_with_file(
        &mut self,
        text: &str,
        file: Option<FileOffer>,
        id: MessageId,
        ts: u64,
        now: Duration,
    ) -> Result<RoomMessage, ChatError> {
        check_text(text)?;
        self.my_seq = self
            .my_seq
            .checked_add(1)
            .filter(|seq| *seq <= MAX_SEQ)
            .ok_or(ChatError::NumbersUsedUp)?;
        let head = TextHead {
            room: &self.keys.room_id,
            author: &self.me,
            seq: self.my_seq,
            ts,
            id: id.clone(),
            name: &self.my_name,
        };
        let message = sign_with_file(&self.identity, head, text, file.clone());
        let signed = message.signed;
        // Kept in the log, it is also our outbox: members who come later get it by backfill.
        self.log.insert(message.clone());
        self.end_typing_bout();
        if self.store_first {
            self.unstored.insert(id.clone(), self.my_seq);
        } else {
            self.deliver(message, now);
        }
        let mut shown = self.local_message(id, self.my_seq, text, ts, None);
        shown.signed = Some(signed);
        shown.file = file.map(Box::new);
        Ok(shown)
    }

    /// Sends our message to every member online, and waits for their receipts.
    pub(super) fn deliver(&mut self, message: RoomText, now: Duration) {
        let id = message.id.clone();
        let seq = message.seq;
        let frame = RoomFrame::Text(message);
        let links = self.one_link_per_member();
        let members = links
            .iter()
            .filter_map(|l| self.links.get(l))
            .map(|l| l.peer.clone());
        let again = Again::Text(seq);
        self.await_receipts(&id, members.collect(), again, now);
        self.send_all(&links, &frame, now);
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
        // The link our messages to them take: frames on one link keep their order, which
        // their receipts tell by (see `resend`).
        let link = self.link_to(to).ok_or(ChatError::NotOnline)?;
        // An admitted member has proven its key.
        let to_key = self
            .members
            .get(to)
            .and_then(|m| m.key)
            .ok_or(ChatError::NotOnline)?;
        let body = WhisperBody {
            name: self.my_name.clone(),
            text: text.to_owned(),
        };
        let nonce = (self.entropy)();
        let whisper = seal_whisper(
            &self.identity,
            &self.keys.room_id,
            id.clone(),
            &self.me,
            to,
            &to_key,
            ts,
            &body,
            nonce,
        )
        .ok_or(ChatError::NotOnline)?;
        let again = Again::Whisper(Box::new(whisper.clone()));
        let frame = RoomFrame::Whisper(whisper);
        self.end_typing_bout();
        self.send(&link, &frame, now);
        self.await_receipts(&id, VecSet::from([to.clone()]), again, now);
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
            signed: None,
            file: None,
        }
    }

    #[inline(never)]
    pub(super) fn on_text(&mut self, sender: &PeerId, t: RoomText, now: Duration) {
        if &t.author != sender {
            return self.drop_frame(DropReason::Impersonation);
        }
        let id = t.id.clone();
        // Its author sent it again, for want of our receipt (lost, or sent before the
        // message reached us): confirmed again, shown once. Only the very message we
        // hold, signature and all; anything else under its number is read as usual.
        let again = self
            .log
            .get(&t.author, t.seq)
            .is_some_and(|had| had.id == t.id && had.signed == t.signed);
        if again || self.record(t) {
            self.confirm(sender, vec![id], now);
        }
    }

    /// Messages relayed by a member: any author, as the room key vouches for membership.
    /// Authors we are linked to learn that we have their messages.
    #[inline(never)]
    pub(super) fn on_backfill(&mut self, messages: Vec<RoomText>, now: Duration) {
        let mut got: VecMap<PeerId, Vec<MessageId>> = VecMap::new();
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
    /// It must be signed by its author's key: the one proven for that id, or for an
    /// author not met yet, the one it is signed with (pinned until they prove theirs).
    pub(super) fn record(&mut self, t: RoomText) -> bool {
        if t.seq == 0 {
            self.drop_frame(DropReason::Replay);
            return false;
        }
        if t.seq > MAX_SEQ
            || check_text(&t.text).is_err()
            || t.file.as_ref().is_some_and(|f| f.check().is_err())
            || crate::protocol::check_name(&t.name).is_err()
        {
            self.drop_frame(DropReason::OutOfBounds);
            return false;
        }
        if !verify_text(&self.keys.room_id, &t) {
            self.drop_frame(DropReason::BadSignature);
            return false;
        }
        let key = t.signed.key;
        if t.author == self.me {
            if key != self.identity.public() {
                self.drop_frame(DropReason::BadSignature);
                return false;
            }
        } else {
            self.pin_unvouched(&t.author, &t.name, key);
            if self.members.get(&t.author).and_then(|m| m.key) != Some(key) {
                self.drop_frame(DropReason::BadSignature);
                return false;
            }
        }
        if self.log.contains(&t.author, t.seq) {
            // Taken by a message its author did not sign (introduced under another key
            // before the author proved theirs): the author's own goes in its place.
            let squatted = self
                .log
                .get(&t.author, t.seq)
                .is_some_and(|old| old.signed.key != key);
            if !squatted {
                self.drop_frame(DropReason::Replay);
                return false;
            }
            self.log.remove(&t.author, t.seq);
        }
        if t.author == self.me {
            // Our own words coming back (we lost them): never reuse their numbers.
            self.my_seq = self.my_seq.max(t.seq);
        }
        // Whoever wrote has stopped typing (the UI clears them with the message).
        self.typing_until.remove(&t.author);
        let message = RoomMessage {
            name: t.name.clone(),
            id: t.id.clone(),
            seq: t.seq,
            author: t.author.clone(),
            text: t.text.clone(),
            ts: t.ts,
            whisper_to: None,
            signed: Some(t.signed),
            file: t.file.clone(),
        };
        self.log.insert(t);
        self.events.push_back(RoomEvent::Message(message));
        true
    }

    #[inline(never)]
    pub(super) fn on_whisper(&mut self, sender: &PeerId, w: Whisper, now: Duration) {
        if &w.author != sender || w.to != self.me {
            return self.drop_frame(DropReason::Impersonation);
        }
        if self.members.get(sender).and_then(|m| m.key) != Some(w.signed.key) {
            return self.drop_frame(DropReason::BadSignature);
        }
        let Some(body) = open_whisper(&self.identity, &self.keys.room_id, &w) else {
            return self.drop_frame(DropReason::BadSignature);
        };
        if check_text(&body.text).is_err() || crate::protocol::check_name(&body.name).is_err() {
            return self.drop_frame(DropReason::OutOfBounds);
        }
        if !self.whispers_seen.insert(w.id.clone()) {
            // Sent again for want of our receipt (see `resend`): confirmed again (with
            // the receipts held, so a member repeating one cannot make us send a frame
            // for each), shown once.
            return self.confirm(sender, vec![w.id], now);
        }
        self.confirm_at_once(sender, w.id.clone(), now);
        self.typing_until.remove(&w.author);
        self.events.push_back(RoomEvent::Message(RoomMessage {
            name: body.name,
            id: w.id,
            seq: 0,
            author: w.author,
            text: body.text,
            ts: w.ts,
            whisper_to: Some(w.to),
            signed: None,
            file: None,
        }));
    }
}
