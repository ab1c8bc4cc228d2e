//! The node's UI actions on their way to the screen. Each one handed to Yew is a render;
//! those that may wait for the next frame ([`Action::can_wait_for_frame`]: receipts,
//! typing, "Connecting…") wait for it here, so however many arrive between two frames
//! they cost one render. Every other action goes at once, after those waiting (the order
//! stays as the node gave it, and they share its render).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use peerchat_chat::state::Action;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Hands UI actions to the screen, batching those that may wait a frame.
pub(super) struct Paced {
    dispatch: Callback<Action>,
    waiting: RefCell<Vec<Action>>,
    /// A frame is asked for and has not come yet.
    asked: Cell<bool>,
    /// Called by the browser before it paints the next frame; made once and kept, so it
    /// is never dropped while it runs.
    on_frame: Closure<dyn FnMut()>,
}

impl Paced {
    /// Batches for `dispatch`.
    pub(super) fn new(dispatch: Callback<Action>) -> Rc<Self> {
        Rc::new_cyclic(|weak: &Weak<Self>| {
            let weak = weak.clone();
            Self {
                dispatch,
                waiting: RefCell::default(),
                asked: Cell::new(false),
                on_frame: Closure::new(move || {
                    if let Some(paced) = weak.upgrade() {
                        paced.asked.set(false);
                        paced.show(Vec::new());
                    }
                }),
            }
        })
    }

    /// Shows `actions` (in order, after any waiting): now, or with the next frame when
    /// they all may wait for it. A page in the background gets no frames, so there
    /// nothing waits.
    pub(super) fn show(&self, actions: Vec<Action>) {
        let may_wait = !actions.is_empty() && actions.iter().all(Action::can_wait_for_frame);
        if may_wait && crate::platform::is_visible() && self.ask_for_frame() {
            self.waiting.borrow_mut().extend(actions);
            return;
        }
        let mut all = std::mem::take(&mut *self.waiting.borrow_mut());
        all.extend(actions);
        // Emitted with nothing borrowed: the reducer may call back into the node.
        for action in all {
            self.dispatch.emit(action);
        }
    }

    /// Asks for the next frame unless it was asked for; false if the browser cannot
    /// give one.
    fn ask_for_frame(&self) -> bool {
        if self.asked.get() {
            return true;
        }
        let asked = web_sys::window().is_some_and(|w| {
            w.request_animation_frame(self.on_frame.as_ref().unchecked_ref())
                .is_ok()
        });
        self.asked.set(asked);
        asked
    }
}
