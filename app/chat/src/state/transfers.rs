//! What the screen shows of files on their way: each transfer's bytes so far, its
//! speed and time left (from the updates' times), and how it ended.

use peerchat_ids::VecMap;
use peerchat_peerjs::PeerId;

use super::Screen;

/// Where a transfer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    /// Received: waits its turn, while earlier files from the same sender are fetched
    /// (at most four of one sender's at once).
    Waiting,
    /// Bytes are moving (or wait for the peer to be back).
    Going,
    /// Nothing of it can move now: one to one, the contact is away (either way); in a
    /// room, no member online has it. It goes on by itself when one is back.
    Paused,
    /// Every byte arrived and checked out (received), or was sent (sent).
    Complete,
    /// Stopped by us (`by_us`) or by the peer; partial pieces were deleted.
    Cancelled {
        /// We pressed Cancel.
        by_us: bool,
    },
    /// Stopped; the sentence says why and what the user can do.
    Failed(String),
    /// The user deleted the file from this device (History); the message stays.
    Removed,
}

impl TransferState {
    /// Whether the card offers the file to save and see when the device has it whole.
    /// Not once its transfer in this chat stopped (removed, cancelled, or failed, for
    /// whatever reason): a file on this device then came through another chat (the
    /// same photo from another friend, or kept for a room), or is being fetched there,
    /// and this chat's stop stands; a file we sent, whose line failed or was
    /// cancelled, is the user's own anyway.
    pub fn offers_file(&self) -> bool {
        !matches!(
            self,
            Self::Removed | Self::Cancelled { .. } | Self::Failed(_)
        )
    }
}

/// A transfer's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The peer it is with.
    pub peer: PeerId,
    /// The file's id.
    pub file: String,
    /// We are sending it.
    pub sending: bool,
    /// The chat whose card of the file shows it: the conversation with `peer` (a file
    /// we send two contacts has a transfer with each), or a room (a file posted in two
    /// rooms has a line in each, and Cancel in one stops it there alone).
    pub chat: Screen,
    /// Bytes sent or stored so far.
    pub done: u64,
    /// The file's size.
    pub size: u64,
    /// Where it stands.
    pub state: TransferState,
    /// Wall clock of this update, ms.
    pub at_ms: u64,
}

impl Transfer {
    /// One to one (not in a room).
    pub fn direct(&self) -> bool {
        matches!(self.chat, Screen::Conversation(_))
    }

    /// What a paused transfer's line says after its bytes: whom it waits for.
    pub fn paused_words(&self) -> &'static str {
        if self.sending {
            "Paused: it goes on when they are back online."
        } else if self.direct() {
            "Paused: it goes on when the sender is back online."
        } else {
            "Paused: no member online has it; it goes on when one who has it is back."
        }
    }
}

/// A transfer as shown: the last update and the speed measured since the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The last update.
    pub last: Transfer,
    /// Bytes and time of the first update of this visit (speed is measured from it).
    pub since: (u64, u64),
}

impl Progress {
    /// Bytes per second so far, once some time passed.
    pub fn speed(&self) -> Option<u64> {
        let ms = self.last.at_ms.checked_sub(self.since.1)?;
        let bytes = self.last.done.checked_sub(self.since.0)?;
        (ms >= 200 && bytes > 0).then(|| bytes * 1000 / ms)
    }

    /// Seconds left at the speed so far.
    pub fn seconds_left(&self) -> Option<u64> {
        let speed = self.speed()?;
        Some(
            self.last
                .size
                .saturating_sub(self.last.done)
                .div_ceil(speed),
        )
    }
}

/// Which transfer: the file's id, and the chat whose card shows it.
pub type TransferKey = (String, Screen);

/// Every transfer of this visit.
pub type Transfers = VecMap<TransferKey, Progress>;

/// The key of the transfer `t` updates.
pub fn key_of(t: &Transfer) -> TransferKey {
    (t.file.clone(), t.chat.clone())
}

/// Folds an update in. A transfer that goes again after a pause or its turn is timed
/// afresh: its speed and time left then count from now, not over the pause.
#[inline(never)]
pub fn update(all: &mut Transfers, t: Transfer) {
    let key = key_of(&t);
    match all.get_mut(&key) {
        Some(p) => {
            if t.state == TransferState::Going && p.last.state != TransferState::Going {
                p.since = (t.done, t.at_ms);
            }
            p.last = t;
        }
        None => {
            let since = (t.done, t.at_ms);
            all.insert(key, Progress { last: t, since });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_offers_the_file_unless_its_transfer_stopped_there() {
        use TransferState::*;
        for state in [Waiting, Going, Paused, Complete] {
            assert!(state.offers_file(), "{state:?}");
        }
        let stopped = [
            Cancelled { by_us: true },
            Cancelled { by_us: false },
            Failed("x".into()),
            Removed,
        ];
        for state in stopped {
            assert!(!state.offers_file(), "{state:?}");
        }
    }

    fn at(done: u64, at_ms: u64, state: TransferState) -> Transfer {
        Transfer {
            peer: PeerId::parse("ann").unwrap(),
            file: "f".into(),
            sending: false,
            chat: Screen::Conversation(PeerId::parse("ann").unwrap()),
            done,
            size: 10_000_000,
            state,
            at_ms,
        }
    }

    fn key() -> TransferKey {
        (
            "f".to_owned(),
            Screen::Conversation(PeerId::parse("ann").unwrap()),
        )
    }

    #[test]
    fn speed_and_time_left_come_from_the_updates() {
        let t = |done, at_ms| at(done, at_ms, TransferState::Going);
        let mut all = Transfers::new();
        update(&mut all, t(0, 1_000));
        assert_eq!(all[&key()].speed(), None);
        update(&mut all, t(2_000_000, 2_000));
        assert_eq!(all[&key()].speed(), Some(2_000_000));
        assert_eq!(all[&key()].seconds_left(), Some(4));
    }

    #[test]
    fn an_action_that_leaves_the_transfers_shares_them_instead_of_copying_them() {
        use crate::state::{Action, ChatState};
        let mut s = ChatState::default();
        s.reduce(Action::Transfer(at(0, 1_000, TransferState::Going)));
        let shown = s.clone();
        s.reduce(Action::Online(false));
        assert!(
            std::rc::Rc::ptr_eq(&shown.transfers, &s.transfers),
            "shared"
        );
        s.reduce(Action::Transfer(at(5, 2_000, TransferState::Going)));
        assert_eq!(s.transfers[&key()].last.done, 5);
        assert_eq!(
            shown.transfers[&key()].last.done,
            0,
            "what was shown is unchanged"
        );
    }

    #[test]
    fn a_paused_line_says_whom_it_waits_for() {
        let received = at(0, 0, TransferState::Paused);
        assert!(received.paused_words().contains("the sender"));
        let sent = Transfer {
            sending: true,
            ..received.clone()
        };
        assert!(sent.paused_words().contains("they are back"));
        let in_a_room = Transfer {
            chat: Screen::Room(peerchat_ids::RoomId::from_random([1; 16])),
            ..received
        };
        assert!(in_a_room.paused_words().contains("no member online"));
    }

    #[test]
    fn a_transfer_going_again_after_a_pause_is_timed_from_then() {
        let mut all = Transfers::new();
        update(&mut all, at(0, 1_000, TransferState::Going));
        update(&mut all, at(2_000_000, 2_000, TransferState::Going));
        update(&mut all, at(2_000_000, 2_500, TransferState::Paused));
        // Ten minutes away: counted over them, it would read 3 KB/s and 45 minutes left.
        update(&mut all, at(2_000_000, 602_500, TransferState::Going));
        update(&mut all, at(4_000_000, 603_500, TransferState::Going));
        assert_eq!(all[&key()].speed(), Some(2_000_000));
        assert_eq!(all[&key()].seconds_left(), Some(3));
    }
}
