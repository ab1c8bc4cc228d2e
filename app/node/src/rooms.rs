//! Rooms in the node: each one a sans-IO [`Room`] whose outputs become links, whose
//! rendezvous id is registered while we hold it, and whose messages are stored.

use peerchat_chat::room::{
    Invite, OfferVerdict, Room, RoomEvent, RoomMessage, RoomOutput, RoomSecret, RoomTimings,
};
use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::{Action, Screen};
use peerchat_ids::RoomId;
use peerchat_peerjs::{ConnectionId, PeerId, Session, SessionConfig, Token, Transmit};
use peerchat_vault::{Ledger, Onward};

use crate::saved::{room_text, to_stored, History, SavedRoom};
use crate::tables::{Role, RoomEntry};
use crate::{Node, Now, Output, Purpose, Registration, SendError, StoreOp};

/// How long a changed member list may wait to be saved with the next changes.
const SAVE_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// How we come into a room.
pub(crate) enum Entrance {
    /// We just made it: nobody can be there yet.
    Create,
    /// By invite or topic, through the rendezvous id.
    Join,
    /// A room kept from an earlier visit, with what its stored history holds: dial the
    /// rendezvous id and the members we remember.
    Rejoin { saved: SavedRoom, ledger: Ledger },
}

/// Gives a room what its stored history holds (its ledger, not the messages: our own
/// vault, sealed under our key, holds only what a peer's signature or an import's check
/// let in), so members send only what we lack, and what a member lacks of it is read
/// back page by page.
pub(crate) fn seed(room: &mut Room, saved: &SavedRoom, ledger: &Ledger) {
    room.seed_ledger(ledger);
    room.set_floor(&saved.forgotten);
    room.resume_seq(saved.my_seq);
}

/// Messages a page of stored history is read in, for a member who lacks them: one page
/// per link in memory at a time.
pub(crate) const STORED_PAGE: usize = 200;

impl Node {
    /// Creates a private room and shows it.
    pub fn create_room(&mut self, name: &str, now: Now) {
        self.now = now;
        let invite = Invite::Private {
            secret: RoomSecret::from_random(self.entropy.bytes()),
            name: name.to_owned(),
        };
        self.enter_room(invite, true, Entrance::Create);
        self.drain();
    }

    /// Follows an invite now, or after the saved rooms are back.
    pub fn join_room(&mut self, invite: Invite, now: Now) {
        self.now = now;
        match self.restore.waiting_invites.as_mut() {
            Some(waiting) => {
                // Asked for now, shown when it is in: a chat the user picks meanwhile
                // keeps the screen (the reducer forgets the wish then).
                let room_id = invite.secret().derive().room_id;
                waiting.push(invite);
                self.ui(Action::SelectRoom(room_id));
            }
            None => {
                self.enter_room(invite, true, crate::rooms::Entrance::Join);
            }
        }
        self.drain();
    }

    /// Enters a room (or just shows it when we are in it already); returns its id.
    pub(crate) fn enter_room(&mut self, invite: Invite, focus: bool, how: Entrance) -> RoomId {
        let keys = invite.secret().derive();
        let room_id = keys.room_id.clone();
        if self.rooms.contains_key(&room_id) {
            if focus {
                self.ui(Action::SelectRoom(room_id.clone()));
            }
            return room_id;
        }
        let entropy = self.entropy.clone();
        let mut room = Room::new(
            self.me.clone(),
            self.identity.clone(),
            self.name.clone(),
            keys,
            RoomTimings::default(),
            move || entropy.bytes::<12>(),
        );
        room.store_before_send();
        let view = RoomView::new(room_id.clone(), &invite);
        self.ui(Action::RoomJoined { room: view, focus });
        let now = self.now;
        match how {
            Entrance::Create => room.create(now.mono),
            Entrance::Join => room.join(&[], now.mono),
            Entrance::Rejoin { saved, ledger } => {
                seed(&mut room, &saved, &ledger);
                for (peer, name) in &saved.members {
                    self.ui(Action::RoomMember {
                        room_id: room_id.clone(),
                        peer: peer.clone(),
                        name: Some(name.clone()),
                        online: false,
                        ts: now.wall_ms,
                    });
                }
                room.join(&saved.remembered(), now.mono);
            }
        }
        self.rooms
            .insert(room_id.clone(), RoomEntry { room, invite });
        self.save_room(&room_id);
        room_id
    }

    /// What a room we are in has done so far (dials, duplicates closed, silent drops,
    /// hellos), for tests and benchmarks.
    pub fn room_stats(&self, room_id: &RoomId) -> Option<peerchat_chat::room::RoomStats> {
        self.rooms.get(room_id).map(|r| r.room.stats())
    }

    /// What a room we are in holds (members, links, messages in memory...), for tests.
    pub fn room_sizes(&self, room_id: &RoomId) -> Option<peerchat_chat::room::RoomSizes> {
        self.rooms.get(room_id).map(|r| r.room.sizes())
    }

    /// Every room's stats, by room id (what a benchmark reads from a page).
    pub fn all_room_stats(&self) -> Vec<(RoomId, peerchat_chat::room::RoomStats)> {
        self.rooms
            .iter()
            .map(|(id, r)| (id.clone(), r.room.stats()))
            .collect()
    }

    /// Leaves a room for good on this device, with its history.
    pub fn leave_room(&mut self, room_id: &RoomId, now: Now) {
        self.now = now;
        if !self.rooms.contains_key(room_id) {
            return;
        }
        // Its files go too (while its members can still be told): no History would show
        // them any more, yet they would count against the quota for good. One another
        // room shows stays for that room.
        self.drop_room_files(room_id);
        let Some(mut r) = self.rooms.remove(room_id) else {
            return;
        };
        r.room.leave(now.mono);
        let links: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| e.purpose == Purpose::Room(room_id.to_owned()))
            .map(|(c, _)| c.clone())
            .collect();
        for conn in links {
            self.retire_link(&conn);
        }
        self.release_rendezvous(room_id);
        // Joined again later, it is a new start: notifications on.
        self.muted_rooms.remove(room_id);
        self.drop_draft(&Screen::Room(room_id.to_owned()));
        self.ui(Action::RoomLeft(room_id.to_owned()));
        self.store(StoreOp::DeleteRoom {
            room_id: room_id.to_owned(),
        });
        self.drain();
    }

    /// Sends a message to a room, or privately to one member of it.
    pub fn send_room_text(
        &mut self,
        room_id: &RoomId,
        to: Option<&PeerId>,
        text: &str,
        now: Now,
    ) -> Result<(), SendError> {
        match to {
            None => self.send_room_message(room_id, text, None, now),
            Some(to) => self.post_room(room_id, now, |r, id| {
                r.whisper(to, text, id, now.wall_ms, now.mono)
            }),
        }
    }

    /// Sends a message, which may offer a file, to the whole room.
    pub(crate) fn send_room_message(
        &mut self,
        room_id: &RoomId,
        text: &str,
        file: Option<peerchat_files::FileOffer>,
        now: Now,
    ) -> Result<(), SendError> {
        self.post_room(room_id, now, |r, id| {
            r.send_with_file(text, file, id, now.wall_ms, now.mono)
        })
    }

    /// Posts what `make` makes in a room (with a new message id): stored, shown, sent.
    fn post_room(
        &mut self,
        room_id: &RoomId,
        now: Now,
        make: impl FnOnce(
            &mut Room,
            peerchat_ids::MessageId,
        ) -> Result<RoomMessage, peerchat_chat::ChatError>,
    ) -> Result<(), SendError> {
        self.now = now;
        let id = self.entropy.message_id();
        let Some(r) = self.rooms.get_mut(room_id) else {
            return Err(SendError::RoomNotReady);
        };
        let message = make(&mut r.room, id).map_err(|e| SendError::Room(e.to_string()))?;
        // Stored, it also carries our numbering to the next visit (see `seed`).
        self.keep_message(room_id, &message, true);
        self.ui(Action::RoomMessage {
            room_id: room_id.to_owned(),
            message,
            mine: true,
        });
        self.drain();
        Ok(())
    }

    /// The user is typing in a room (the room decides when to tell its members).
    pub fn typing(&mut self, room_id: &RoomId, now: Now) {
        self.now = now;
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.send_typing(now.mono);
        }
        self.drain();
    }

    /// Forgets a room's messages in its mesh, on screen and in storage; members will
    /// not send them back.
    pub fn forget_history(&mut self, room_id: &RoomId, now: Now) {
        self.now = now;
        let Some(r) = self.rooms.get_mut(room_id) else {
            return;
        };
        r.room.forget_history();
        self.ui(Action::RoomHistoryCleared(room_id.to_owned()));
        self.store(StoreOp::DeleteHistory {
            history: History::Room(room_id.to_owned()),
        });
        self.save_room(room_id);
        self.drain();
    }

    /// Our message `id` in `room_id` is stored: it may go out now.
    pub(crate) fn room_message_stored(&mut self, room_id: &RoomId, id: &peerchat_ids::MessageId) {
        let now = self.now.mono;
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.handle_stored(id, now);
        }
    }

    /// Stores a message of `room_id`: received, or `made_here` (ours, posted this
    /// moment with a new id).
    fn keep_message(
        &mut self,
        room_id: &RoomId,
        message: &peerchat_chat::room::RoomMessage,
        made_here: bool,
    ) {
        self.store(StoreOp::append_one(
            History::Room(room_id.clone()),
            to_stored(message, self.now.wall_ms),
            made_here,
        ));
    }

    /// Saves a room's record within a second, with whatever else changes meanwhile.
    fn save_room_soon(&mut self, room_id: &RoomId) {
        self.unsaved.insert(room_id.clone());
        self.save_at.get_or_insert(self.now.mono + SAVE_DELAY);
    }

    /// Saves a room's record (secret, members, numbering).
    pub(crate) fn save_room(&mut self, room_id: &RoomId) {
        if let Some(saved) = self.saved_room(room_id) {
            self.store(StoreOp::PutRoom {
                room_id: room_id.to_owned(),
                saved,
            });
        }
    }

    /// What to remember of a room.
    fn saved_room(&self, room_id: &RoomId) -> Option<SavedRoom> {
        let r = self.rooms.get(room_id)?;
        Some(SavedRoom {
            invite: r.invite.to_fragment(),
            members: r
                .room
                .members()
                .iter()
                .map(|(p, m)| (p.clone(), m.name.clone()))
                .collect(),
            keys: r
                .room
                .members()
                .iter()
                .filter(|(_, m)| m.vouched)
                .filter_map(|(p, m)| Some((p.clone(), m.key?)))
                .collect(),
            verified: r
                .room
                .members()
                .values()
                .filter_map(|m| {
                    m.key
                        .filter(|k| m.vouched && self.verified_keys.contains(k))
                })
                .collect(),
            my_seq: r.room.my_seq(),
            forgotten: r.room.forgotten(),
            muted: self.muted_rooms.contains(room_id),
        })
    }

    /// Gives a room we are in what its storage now holds (after an imported file).
    pub(crate) fn seed_room(&mut self, room_id: &RoomId, saved: &SavedRoom, ledger: &Ledger) {
        if let Some(r) = self.rooms.get_mut(room_id) {
            seed(&mut r.room, saved, ledger);
        }
    }

    /// A page of a room's stored history, read for what the member on `link` lacks.
    pub(crate) fn stored_page_read(&mut self, room_id: &RoomId, link: &ConnectionId, page: Onward) {
        let now = self.now.mono;
        if let Some(r) = self.rooms.get_mut(room_id) {
            let texts = page.messages.into_iter().filter_map(room_text).collect();
            r.room.handle_stored_page(link, texts, page.next, now);
        }
    }

    /// Whether to answer `src`'s offer that came `via` for `purpose`: a room refuses a
    /// member's offer that crosses its own call, or answers it and gives its own call up
    /// (see [`OfferVerdict`]). Anything else is answered.
    pub(crate) fn room_takes_offer(
        &mut self,
        via: &Registration,
        purpose: &Purpose,
        src: &PeerId,
    ) -> bool {
        let (Registration::Main, Purpose::Room(room_id)) = (via, purpose) else {
            return true;
        };
        let now = self.now.mono;
        let Some(r) = self.rooms.get_mut(room_id) else {
            return true;
        };
        match r.room.handle_offer(src, now) {
            OfferVerdict::Answer => true,
            OfferVerdict::Refuse => false,
            OfferVerdict::AnswerInsteadOfOurs => {
                // Forgotten without a word to the room: it gave that call up itself.
                let ours: Vec<ConnectionId> = self
                    .links
                    .iter()
                    .filter(|(_, e)| {
                        &e.peer == src
                            && e.purpose == *purpose
                            && e.role == Role::Offerer
                            && !e.opened
                    })
                    .map(|(c, _)| c.clone())
                    .collect();
                for conn in ours {
                    self.retire_link(&conn);
                }
                true
            }
        }
    }

    /// Carries a room's outputs and events; returns whether there were any.
    #[inline(never)]
    pub(crate) fn drain_room(&mut self, room_id: &RoomId) -> bool {
        let mut progressed = false;
        loop {
            let Some(r) = self.rooms.get_mut(room_id) else {
                return progressed;
            };
            if let Some(out) = r.room.poll_output() {
                self.on_room_output(room_id, out);
            } else if let Some(e) = r.room.poll_event() {
                self.on_room_event(room_id, e);
            } else {
                return progressed;
            }
            progressed = true;
        }
    }

    fn on_room_output(&mut self, room_id: &RoomId, out: RoomOutput) {
        match out {
            RoomOutput::Connect { peer } => {
                self.dial(peer, Purpose::Room(room_id.to_owned()), false)
            }
            RoomOutput::Send { link, frame } => {
                if self.links.contains_key(&link) {
                    self.outputs.push_back(Output::Send { conn: link, frame });
                }
            }
            RoomOutput::Close { link } => self.retire_link(&link),
            RoomOutput::ClaimRendezvous => self.claim_rendezvous(room_id),
            RoomOutput::ReadStored { link, from } => self.load(crate::Load::StoredPage {
                room_id: room_id.to_owned(),
                link,
                from,
                limit: STORED_PAGE,
            }),
        }
    }

    /// Shows a member online under `name`; the member list (names, proven keys) is saved
    /// with the room.
    fn member_online(&mut self, room_id: RoomId, peer: PeerId, name: String, ts: u64) {
        self.save_room_soon(&room_id);
        self.ui(Action::RoomMember {
            room_id,
            peer,
            name: Some(name),
            online: true,
            ts,
        });
    }

    #[inline(never)]
    fn on_room_event(&mut self, room_id: &RoomId, e: RoomEvent) {
        let room_id = room_id.to_owned();
        let ts = self.now.wall_ms;
        match e {
            RoomEvent::MemberOnline { peer, name, key } => {
                self.ui(Action::MemberKey {
                    peer: peer.clone(),
                    key,
                });
                self.member_online(room_id, peer, name, ts);
            }
            RoomEvent::MemberRenamed { peer, name } => self.member_online(room_id, peer, name, ts),
            RoomEvent::MemberOffline { peer } => self.ui(Action::RoomMember {
                room_id,
                peer,
                name: None,
                online: false,
                ts,
            }),
            RoomEvent::MemberForgotten { .. } => self.save_room_soon(&room_id),
            RoomEvent::Typing { peer } => self.ui(Action::RoomTyping {
                room_id,
                peer,
                typing: true,
            }),
            RoomEvent::TypingStopped { peer } => self.ui(Action::RoomTyping {
                room_id,
                peer,
                typing: false,
            }),
            RoomEvent::Ignored { .. } => self.ui(Action::RoomIgnored(room_id)),
            RoomEvent::Delivered { id } => self.ui(Action::RoomDelivered { room_id, id }),
            RoomEvent::File { peer, frame } => self.on_file_frame_via(Some(&room_id), &peer, frame),
            RoomEvent::Message(message) => {
                self.keep_message(&room_id, &message, false);
                if let Some(offer) = &message.file {
                    self.on_file_offer_in(Some(&room_id), &message.author, offer);
                }
                // Our own messages can come back by backfill after we lost them.
                let mine = message.author == self.me;
                if !mine && !self.visible && !self.muted_rooms.contains(&room_id) {
                    if let Some(r) = self.rooms.get(&room_id) {
                        // A lock screen is read by whoever holds the phone: the words
                        // show there only if the user chose so.
                        let body = if self.notify_text {
                            message.text.clone()
                        } else {
                            "New message".to_owned()
                        };
                        self.outputs.push_back(Output::Notify {
                            title: format!("{} in {}", message.name, r.invite.name()),
                            body,
                            opens: Screen::Room(room_id.clone()),
                        });
                    }
                }
                let ts = peerchat_vault::shown_ts(message.ts, self.now.wall_ms);
                self.ui(Action::RoomMessage {
                    room_id,
                    message: RoomMessage { ts, ..message },
                    mine,
                })
            }
        }
    }

    /// Registers the room's rendezvous id with the broker, with a token of our own.
    fn claim_rendezvous(&mut self, room_id: &RoomId) {
        let Some(r) = self.rooms.get(room_id) else {
            return;
        };
        if self.rendezvous.contains_key(room_id) {
            return;
        }
        let config = SessionConfig::new(
            self.broker.clone(),
            r.room.keys().rendezvous.clone(),
            Token::from_random(self.entropy.bytes()),
        );
        let mut session = Session::new(config);
        session.start(self.now.mono);
        self.rendezvous.insert(room_id.to_owned(), session);
    }

    /// Drops our registration of a room's rendezvous id, freeing it for others.
    fn release_rendezvous(&mut self, room_id: &RoomId) {
        if self.rendezvous.remove(room_id).is_some() {
            self.outputs.push_back(Output::Broker {
                via: Registration::Rendezvous(room_id.to_owned()),
                transmit: Transmit::Disconnect,
            });
        }
    }

    /// The broker accepted or refused our claim on a room's rendezvous id.
    pub(crate) fn on_rendezvous_claim(&mut self, room_id: &RoomId, held: bool) {
        if !held {
            self.release_rendezvous(room_id);
        }
        let t = self.now.mono;
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.set_rendezvous_held(held, t);
        }
    }
}
