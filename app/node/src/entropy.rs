//! Randomness passed in from outside: the browser's `crypto.getRandomValues`, or a
//! seeded generator in tests. Shared by the node and the rooms it creates.

use std::cell::RefCell;
use std::rc::Rc;

use peerchat_ids::MessageId;

/// A function returning 32 fresh random bytes per call.
type Source = Box<dyn FnMut() -> [u8; 32]>;

/// A source of random bytes, shared by everything a [`Node`](crate::Node) creates.
#[derive(Clone)]
pub struct Entropy(Rc<RefCell<Source>>);

impl Entropy {
    /// Wraps a function that returns 32 fresh random bytes per call.
    pub fn new(source: impl FnMut() -> [u8; 32] + 'static) -> Self {
        Self(Rc::new(RefCell::new(Box::new(source))))
    }

    /// `N` fresh random bytes (`N` at most 32).
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let full = (self.0.borrow_mut())();
        let mut out = [0; N];
        out.copy_from_slice(&full[..N]);
        out
    }

    /// A fresh message id: 12 random bytes in hex.
    pub fn message_id(&self) -> MessageId {
        MessageId::from_random(self.bytes::<12>())
    }
}
