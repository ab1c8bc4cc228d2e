//! Running a room's hot paths once before they are needed. A browser compiles a wasm
//! function only when it is first called, with a quick compiler whose code is many times
//! slower, and compiles it well only once it has run for a while; a member's first join
//! used to run the sealing, signing and key parsing of its first dozen hellos that way.
//! Measured in CPU profiles of the last joiner of a room of 16 (the benchmark's, sampled
//! every 0.2 ms, which slows everything alike): sealing its fifteen hellos of 0.4–1.8 KB
//! took 131 ms cold, 2 ms on a member whose code was warm, and 24 ms after this ran.

use peerchat_identity::{Identity, PublicKey, Transcript};
use peerchat_peerjs::PeerId;

use super::{RoomFrame, RoomSecret};

/// Members in the hello exercised: about a room of 16.
const MEMBERS: u8 = 16;

/// Seals, opens, signs, verifies and (de)serializes a hello of a room of 16 on
/// throwaway keys, `rounds` times; returns whether every round came back whole (it
/// does: the result is there so nothing is optimized away).
pub fn warm_up(rounds: u32) -> bool {
    let keys = RoomSecret::from_random([7; 32]).derive();
    let me = Identity::from_seed([9; 32]);
    // One key for every member: parsing it is what a hello costs, and a key pair made per
    // member per call (sixteen of each of the warm-up's ten calls) would be work a join
    // never does.
    let key = me.public();
    let members: Vec<(PeerId, String, Option<PublicKey>)> = (0..MEMBERS)
        .map(|i| {
            let id = PeerId::parse(&format!("warm{i}")).expect("a valid id");
            (id, format!("Member {i}"), Some(key))
        })
        .collect();
    let words = Transcript::new("peerchat/warm-up/v1").field(b"hello");
    let mut whole = true;
    for round in 0..rounds {
        let hello = RoomFrame::Hello {
            id: members[0].0.clone(),
            name: members[0].1.clone(),
            key,
            sig: me.sign(&words),
            members: members.clone(),
            have: members.iter().map(|(id, ..)| (id.clone(), 1)).collect(),
            boot: Some(u64::from(round)),
            calling: false,
        };
        let plain = serde_json::to_vec(&hello).expect("room frames serialize");
        let nonce = [round.to_le_bytes()[0]; 12];
        let opened = keys.open(&keys.seal(&plain, nonce));
        let back = opened
            .ok()
            .and_then(|bytes| serde_json::from_slice::<RoomFrame>(&bytes).ok());
        whole &= match back {
            Some(RoomFrame::Hello { key, sig, .. }) => key.verify(&words, &sig).is_ok(),
            _ => false,
        };
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warm_up_round_comes_back_whole() {
        assert!(warm_up(2));
    }
}
