//! Rooms: each one a sans-IO [`Room`] whose outputs become data connections, and whose
//! rendezvous id is registered with the broker while we hold it.

use peerchat_chat::room::{
    Invite, Room, RoomEvent, RoomMessage, RoomOutput, RoomSecret, RoomText, RoomTimings,
};
use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::Action;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::{ConnectionId, PeerId, Session, SessionConfig, Token};
use peerchat_vault::StoredMessage;

use super::node::{Entry, Inner, Purpose, Slot, Via};
use crate::platform::{hex, monotonic_now, random, wall_ms};
use crate::storage::SavedRoom;

/// A room we are in.
pub(super) struct RoomRuntime {
    pub room: Room,
    pub invite: Invite,
}

/// How we come into a room.
pub(super) enum Entrance {
    /// We just made it: nobody can be there yet.
    Create,
    /// By invite or topic, through the rendezvous id.
    Join,
    /// A room kept from an earlier visit, with its stored messages: dial the rendezvous
    /// id and the members we remember.
    Rejoin {
        saved: SavedRoom,
        log: Vec<StoredMessage>,
    },
}

/// Loads a room's log from storage into its mesh, so members send only what we lack.
pub(super) fn seed(room: &mut Room, saved: &SavedRoom, log: Vec<StoredMessage>) {
    let mut whispers = Vec::new();
    let mut texts = Vec::new();
    for m in log {
        let Ok(author) = PeerId::parse(&m.author) else {
            continue;
        };
        if m.whisper_to.is_some() {
            whispers.push(m.id);
        } else {
            texts.push(RoomText {
                id: m.id,
                author,
                seq: m.seq,
                ts: m.ts,
                text: m.text,
            });
        }
    }
    room.seed(texts, &whispers);
    room.set_floor(&saved.forgotten);
    room.resume_seq(saved.my_seq);
}

impl Inner {
    /// Gives a room we are in messages from storage (an imported file).
    pub(super) fn seed_room(&mut self, room_id: &str, saved: &SavedRoom, log: Vec<StoredMessage>) {
        if let Some(r) = self.rooms.get_mut(room_id) {
            seed(&mut r.room, saved, log);
        }
    }

    pub(super) fn create_room(&mut self, name: &str) {
        let invite = Invite::Private {
            secret: RoomSecret::from_random(random()),
            name: name.to_owned(),
        };
        self.enter_room(invite, true, Entrance::Create);
    }

    /// Enters a room (or just shows it when we are in it already); returns its id.
    pub(super) fn enter_room(&mut self, invite: Invite, focus: bool, how: Entrance) -> String {
        let keys = invite.secret().derive();
        let room_id = keys.room_id.clone();
        if self.rooms.contains_key(&room_id) {
            self.dispatch.emit(Action::SelectRoom(room_id.clone()));
            return room_id;
        }
        let mut room = Room::new(
            self.main.session.id().clone(),
            self.name.clone(),
            keys,
            RoomTimings::default(),
            random::<12>,
        );
        let view = RoomView::new(room_id.clone(), &invite);
        self.dispatch.emit(Action::RoomJoined { room: view, focus });
        let now = monotonic_now();
        match how {
            Entrance::Create => room.create(now),
            Entrance::Join => room.join(&[], now),
            Entrance::Rejoin { saved, log } => {
                seed(&mut room, &saved, log);
                for (peer, name) in &saved.members {
                    self.dispatch.emit(Action::RoomMember {
                        room_id: room_id.clone(),
                        peer: peer.clone(),
                        name: Some(name.clone()),
                        online: false,
                        ts: wall_ms(),
                    });
                }
                room.join(&saved.members, now);
            }
        }
        self.rooms
            .insert(room_id.clone(), RoomRuntime { room, invite });
        self.save_room(&room_id);
        room_id
    }

    pub(super) fn leave_room(&mut self, room_id: &str) {
        let Some(mut r) = self.rooms.remove(room_id) else {
            return;
        };
        r.room.leave(monotonic_now());
        let links: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| e.purpose == Purpose::Room(room_id.to_owned()))
            .map(|(c, _)| c.clone())
            .collect();
        for conn in links {
            self.retire_link(&conn);
        }
        // Dropping the session closes its socket: the rendezvous id is free for others.
        self.rendezvous.remove(room_id);
        self.dispatch.emit(Action::RoomLeft(room_id.to_owned()));
        self.forget_room(room_id);
    }

    pub(super) fn send_room_text(
        &mut self,
        room_id: &str,
        to: Option<&PeerId>,
        text: &str,
    ) -> Result<(), String> {
        let Some(r) = self.rooms.get_mut(room_id) else {
            return Err("This room is not connected yet (its history is still loading); try again in a moment.".into());
        };
        let (id, ts, now) = (hex(&random::<12>()), wall_ms(), monotonic_now());
        let message = match to {
            Some(to) => r.room.whisper(to, text, id, ts, now),
            None => r.room.send_text(text, id, ts, now),
        }
        .map_err(|e| format!("Not sent: {e}."))?;
        // Stored, it also carries our numbering to the next visit (see `seed`).
        self.keep_message(room_id, &message);
        self.dispatch.emit(Action::RoomMessage {
            room_id: room_id.to_owned(),
            message,
            mine: true,
        });
        Ok(())
    }

    /// Carries a room's outputs and events; returns whether there were any.
    pub(super) fn pump_room(&mut self, room_id: &str) -> bool {
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

    fn on_room_output(&mut self, room_id: &str, out: RoomOutput) {
        match out {
            RoomOutput::Connect { peer } => self.dial(peer, Purpose::Room(room_id.to_owned())),
            RoomOutput::Send { link, frame } => {
                if let Some(e) = self.links.get(&link) {
                    e.link.send(&frame);
                }
            }
            RoomOutput::Close { link } => self.retire_link(&link),
            RoomOutput::ClaimRendezvous => self.claim_rendezvous(room_id),
        }
    }

    fn on_room_event(&mut self, room_id: &str, e: RoomEvent) {
        let room_id = room_id.to_owned();
        match e {
            RoomEvent::MemberOnline { peer, name } => {
                self.save_room(&room_id);
                self.dispatch.emit(Action::RoomMember {
                    room_id,
                    peer,
                    name: Some(name),
                    online: true,
                    ts: wall_ms(),
                });
            }
            RoomEvent::MemberOffline { peer } => self.dispatch.emit(Action::RoomMember {
                room_id,
                peer,
                name: None,
                online: false,
                ts: wall_ms(),
            }),
            RoomEvent::Typing { peer } => self.dispatch.emit(Action::RoomTyping {
                room_id,
                peer,
                typing: true,
            }),
            RoomEvent::TypingStopped { peer } => self.dispatch.emit(Action::RoomTyping {
                room_id,
                peer,
                typing: false,
            }),
            RoomEvent::Ignored { .. } => self.dispatch.emit(Action::RoomIgnored(room_id)),
            RoomEvent::Delivered { id } => {
                self.dispatch.emit(Action::RoomDelivered { room_id, id });
            }
            RoomEvent::Message(message) => {
                self.keep_message(&room_id, &message);
                // Our own messages can come back by backfill after we lost them.
                let mine = &message.author == self.main.session.id();
                if !mine && !crate::platform::is_visible() {
                    self.notify(&room_id, &message);
                }
                self.dispatch.emit(Action::RoomMessage {
                    room_id,
                    message,
                    mine,
                })
            }
        }
    }

    /// A system notification for a message that arrived in the background.
    fn notify(&self, room_id: &str, message: &RoomMessage) {
        let Some(r) = self.rooms.get(room_id) else {
            return;
        };
        let title = format!("{} in {}", message.name, r.invite.name());
        let (body, room_id) = (message.text.clone(), room_id.to_owned());
        wasm_bindgen_futures::spawn_local(async move {
            crate::notify::show(&title, &body, &room_id).await;
        });
    }

    /// The user is typing in a room (the room decides when to tell its members).
    pub(super) fn typing(&mut self, room_id: &str) {
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.send_typing(monotonic_now());
        }
    }

    /// Registers the room's rendezvous id with the broker, with a token of our own.
    fn claim_rendezvous(&mut self, room_id: &str) {
        let Some(r) = self.rooms.get(room_id) else {
            return;
        };
        if self.rendezvous.contains_key(room_id) {
            return;
        }
        let config = SessionConfig::new(
            self.config.broker.clone(),
            r.room.keys().rendezvous.clone(),
            Token::from_random(random()),
        );
        let mut session = Session::new(config);
        session.start(monotonic_now());
        self.rendezvous
            .insert(room_id.to_owned(), Slot::new(session));
    }

    /// The broker accepted or refused our claim on a room's rendezvous id.
    pub(super) fn on_rendezvous_claim(&mut self, room_id: &str, held: bool) {
        if !held {
            self.rendezvous.remove(room_id);
        }
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.set_rendezvous_held(held, monotonic_now());
        }
    }

    pub(super) fn on_room_link_open(&mut self, room_id: &str, conn: &ConnectionId) {
        let Some(peer) = self.links.get(conn).map(|e| e.peer.clone()) else {
            return;
        };
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.handle_link_open(conn.clone(), peer, monotonic_now());
        }
    }

    pub(super) fn on_room_link_frame(
        &mut self,
        room_id: &str,
        conn: &ConnectionId,
        frame: &ChannelFrame,
    ) {
        if let Some(r) = self.rooms.get_mut(room_id) {
            r.room.handle_link_data(conn, frame, monotonic_now());
        }
    }

    /// A room connection is gone: closed after it opened, or failed before.
    pub(super) fn on_room_link_gone(&mut self, room_id: &str, conn: &ConnectionId, entry: &Entry) {
        let Some(r) = self.rooms.get_mut(room_id) else {
            return;
        };
        let now = monotonic_now();
        if entry.opened {
            r.room.handle_link_closed(conn, now);
        } else if entry.via == Via::Main {
            r.room.handle_dial_failed(&entry.peer, now);
        }
    }

    /// What to remember of a room.
    pub(super) fn saved_room(&self, room_id: &str) -> Option<SavedRoom> {
        let r = self.rooms.get(room_id)?;
        Some(SavedRoom {
            invite: r.invite.to_fragment(),
            members: r
                .room
                .members()
                .iter()
                .map(|(p, m)| (p.clone(), m.name.clone()))
                .collect(),
            my_seq: r.room.my_seq(),
            forgotten: r.room.forgotten(),
        })
    }
}
