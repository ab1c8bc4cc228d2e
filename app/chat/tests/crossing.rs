//! Two members calling each other at once (a fallback call crossing the first one on busy
//! pages): both ends settle it alike, so the pair ends up with one call, never two links.

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::room::{OfferVerdict, Room, RoomOutput};
use peerchat_peerjs::PeerId;

/// Members `a` < `b` of one room, each remembering the other, so each dials the other.
fn both_dialling() -> (Room, Room, PeerId, PeerId) {
    let (a, b) = (id("ann"), id("ben"));
    assert!(a < b);
    let mut ann = new_room("ann", keys(7), 1);
    let mut ben = new_room("ben", keys(7), 2);
    ann.join(&[(b.clone(), "BEN".into(), None)], Duration::ZERO);
    ben.join(&[(a.clone(), "ANN".into(), None)], Duration::ZERO);
    assert_eq!(dials(&mut ann), vec![b.clone()], "Ann calls Ben");
    assert_eq!(dials(&mut ben), vec![a.clone()], "Ben calls Ann");
    (ann, ben, a, b)
}

/// Members a room dialled since last asked (not the rendezvous id).
fn dials(room: &mut Room) -> Vec<PeerId> {
    let rendezvous = room.keys().rendezvous.clone();
    std::iter::from_fn(|| room.poll_output())
        .filter_map(|o| match o {
            RoomOutput::Connect { peer } if peer != rendezvous => Some(peer),
            _ => None,
        })
        .collect()
}

#[test]
fn the_smaller_ids_call_stands_at_both_ends() {
    let (mut ann, mut ben, a, b) = both_dialling();
    let t = Duration::from_millis(100);
    assert_eq!(
        ann.handle_offer(&b, t),
        OfferVerdict::Refuse,
        "Ann's call stands"
    );
    assert_eq!(
        ben.handle_offer(&a, t),
        OfferVerdict::AnswerInsteadOfOurs,
        "Ben answers Ann's call and gives his own up"
    );
    assert_eq!(ann.stats().offers_refused, 1);
    assert_eq!(ben.stats().dials_given_up, 1);
}

#[test]
fn a_member_does_not_dial_whom_it_is_answering_until_that_answer_fails() {
    let (_, mut ben, a, _) = both_dialling();
    // Ben's call failed: he calls again later. Meanwhile Ann's call comes.
    ben.handle_dial_failed(&a, Duration::from_millis(50));
    let mut t = Duration::from_millis(100);
    assert_eq!(ben.handle_offer(&a, t), OfferVerdict::Answer);
    // His redial comes due (within 8 s) while the answer is under way (the glue gives
    // it up after 15 s): it does not call Ann.
    for _ in 0..200 {
        t += Duration::from_millis(50);
        ben.handle_timeout(t);
    }
    assert!(dials(&mut ben).is_empty(), "no second call while answering");
    // The answer never opened: Ben calls Ann again, after the usual wait.
    ben.handle_answer_failed(&a, t);
    for _ in 0..400 {
        t += Duration::from_millis(50);
        ben.handle_timeout(t);
    }
    assert_eq!(
        dials(&mut ben),
        vec![a],
        "Ben calls Ann once the answer failed"
    );
}

#[test]
fn an_offer_from_a_member_we_are_not_calling_is_answered() {
    let mut ann = new_room("ann", keys(7), 1);
    let b = id("ben");
    assert_eq!(ann.handle_offer(&b, Duration::ZERO), OfferVerdict::Answer);
    assert_eq!(ann.stats().offers_refused, 0);
}
